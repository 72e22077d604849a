//! The browser of the WebSSO tests: the emulator with a federated user, and the steps a user
//! takes on its pages.

use std::time::Duration;

use keystoneauth_testing::emulator::{
    Emulator, FederatedUserSpec, IdentityProviderSpec, ProjectSpec,
};

pub const IDP: &str = "myidp";
pub const PASSWORD: &str = "alice & pw";

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn redirect_uri(port: u16) -> String {
    format!("http://127.0.0.1:{port}/auth/websso/")
}

pub async fn emulator(trusted: &[String]) -> Emulator {
    let mut b = Emulator::builder()
        .project(ProjectSpec::new("demo"))
        .identity_provider(
            IdentityProviderSpec::new(IDP, "openid").user(
                FederatedUserSpec::new("alice")
                    .password(PASSWORD)
                    .group("fed")
                    .project_role("demo", "member"),
            ),
        );
    for t in trusted {
        b = b.trusted_dashboard(t);
    }
    b.start().await.unwrap()
}

pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

pub fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The value of `attr="…"` after `after` in `html`.
pub fn attr(html: &str, after: &str, attr: &str) -> String {
    let rest = &html[html
        .find(after)
        .unwrap_or_else(|| panic!("{after} in {html}"))..];
    let key = format!("{attr}=\"");
    let start = rest
        .find(&key)
        .unwrap_or_else(|| panic!("{attr} in {rest}"))
        + key.len();
    let len = rest[start..].find('"').unwrap();
    unescape(&rest[start..start + len])
}

/// What the user does in the browser: open the URL, log in, let Keystone's page post the
/// token. Returns the status and page of the last step (the callback's, unless the login
/// failed), and the token Keystone's page posted.
pub async fn browse(login_url: &str, user: &str, password: &str) -> (u16, String, Option<String>) {
    let b = browser();
    let page = b.get(login_url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("name=\"password\""), "{page}");
    // The login form posts back to the WebSSO URL, origin included.
    let action = attr(&page, "<form", "action");
    let login = reqwest::Url::parse(login_url)
        .unwrap()
        .join(&action)
        .unwrap();
    assert_eq!(login.as_str(), login_url);
    let sso = b
        .post(login.clone())
        .form(&[("username", user), ("password", password)])
        .send()
        .await
        .unwrap();
    let status = sso.status().as_u16();
    let sso = sso.text().await.unwrap();
    if status != 200 {
        return (status, sso, None);
    }
    // Keystone's page: a form that posts `token` to the origin.
    let callback = attr(&sso, "<form", "action");
    let token = attr(&sso, "name=\"token\"", "value");
    let keystone_origin = login.origin().ascii_serialization();
    let r = b
        .post(&callback)
        .header("Sec-Fetch-Mode", "navigate")
        .header("Sec-Fetch-Dest", "document")
        .header("Sec-Fetch-Site", "cross-site")
        .header("Origin", &keystone_origin)
        .header("Referer", format!("{keystone_origin}/"))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap(), Some(token))
}
