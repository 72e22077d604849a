//! RFC 5849's examples, Keystone's OS-OAUTH1 requests, and the plugin against a mock Keystone.

use super::sign::*;
use super::SignatureMethod;

fn req<'a>(
    method: &'a str,
    url: &'a str,
    token: Option<&'a str>,
    token_secret: &'a str,
    extra: &'a [(&'a str, &'a str)],
    ts: &'a str,
    nonce: &'a str,
) -> Request<'a> {
    Request {
        method,
        url,
        form: &[],
        consumer_key: "dpf43f3p2l4k3l03",
        consumer_secret: "kd94hf93k423kf44",
        token,
        token_secret,
        extra_oauth: extra,
        method_kind: SignatureMethod::HmacSha1,
        timestamp: ts,
        nonce,
        realm: Some("Photos"),
        with_version: false,
    }
}

// RFC 5849 §1.2 published examples.
#[test]
fn rfc5849_temporary_credentials() {
    let h = authorization_header(&req(
        "POST",
        "https://photos.example.net/initiate",
        None,
        "",
        &[("oauth_callback", "http://printer.example.com/ready")],
        "137131200",
        "wIjqoS",
    ))
    .unwrap();
    assert!(
        h.contains(r#"oauth_signature="74KNZJeDHnMBp0EMJ9ZHt%2FXKycU%3D""#),
        "{h}"
    );
}

#[test]
fn rfc5849_token_credentials() {
    let h = authorization_header(&req(
        "POST",
        "https://photos.example.net/token",
        Some("hh5s93j4hdidpola"),
        "hdhd0244k9j7ao03",
        &[("oauth_verifier", "hfdp7dh39dks9884")],
        "137131201",
        "walatlh",
    ))
    .unwrap();
    assert!(
        h.contains(r#"oauth_signature="gKgrFCywp7rO0OXSjdot%2FIHF7IU%3D""#),
        "{h}"
    );
}

#[test]
fn rfc5849_base_string_example() {
    // RFC 5849 §3.4.1.1.
    let r = Request {
        method: "POST",
        url: "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b",
        form: &[("c2", ""), ("a3", "2 q")],
        consumer_key: "9djdj82h48djs9d2",
        consumer_secret: "j49sk3j29djd",
        token: Some("kkk9d7dh3k39sjv7"),
        token_secret: "dh893hdasih9",
        extra_oauth: &[],
        method_kind: SignatureMethod::HmacSha1,
        timestamp: "137131201",
        nonce: "7d8f3e4a",
        realm: Some("Example"),
        with_version: false,
    };
    let oauth: Vec<(&str, String)> = vec![
        ("oauth_consumer_key", "9djdj82h48djs9d2".into()),
        ("oauth_token", "kkk9d7dh3k39sjv7".into()),
        ("oauth_signature_method", "HMAC-SHA1".into()),
        ("oauth_timestamp", "137131201".into()),
        ("oauth_nonce", "7d8f3e4a".into()),
    ];
    assert_eq!(
        base_string(&r, &oauth).unwrap(),
        "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q\
         %26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_\
         key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_m\
         ethod%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk\
         9d7dh3k39sjv7"
    );
}

/// docs/keystoneauth1-differences.md §16.21: the URL that is signed is the URL the token
/// request is sent to, `/v3` added when the auth URL lacks it (keystoneauth1 signs
/// `{auth_url}/auth/tokens` but may POST to `{auth_url}/v3/auth/tokens`).
#[tokio::test]
async fn the_signed_url_is_the_url_posted_to() {
    use keystoneauth_core::{AuthPlugin, Session};
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let server = MockServer::start().await;
    let body = serde_json::json!({"token": {
        "methods": ["oauth1"],
        "user": {"id": "u1", "name": "demo", "domain": {"id": "default", "name": "Default"}},
        "audit_ids": ["a1"],
        "expires_at": "2999-01-01T00:00:00.000000Z",
        "issued_at": "2024-01-01T00:00:00.000000Z",
        "project": {"id": "p1", "name": "demo", "domain": {"id": "default", "name": "Default"}},
        "roles": [{"id": "r1", "name": "member"}]
    }});
    Mock::given(method("POST"))
        .and(path("/v3/auth/tokens"))
        .respond_with(
            ResponseTemplate::new(201)
                .insert_header("X-Subject-Token", "T1")
                .set_body_json(body),
        )
        .expect(1)
        .mount(&server)
        .await;
    // An auth URL without /v3.
    let plugin = super::V3OAuth1::new(
        server.uri(),
        "ck",
        "cs".to_owned().into(),
        "ak",
        "as".to_owned().into(),
    )
    .into_plugin();
    let s = Session::builder().build().unwrap();
    let token = tokio::time::timeout(std::time::Duration::from_secs(20), plugin.token(&s))
        .await
        .expect("bounded")
        .unwrap()
        .unwrap();
    use keystoneauth_core::secrecy::ExposeSecret;
    assert_eq!(token.expose_secret(), "T1");
    let reqs = server.received_requests().await.unwrap();
    let sent = reqs[0].headers["authorization"]
        .to_str()
        .unwrap()
        .to_owned();
    let field = |name: &str| -> String {
        let start = sent.find(&format!("{name}=\"")).expect(name) + name.len() + 2;
        sent[start..].split('"').next().unwrap().to_owned()
    };
    let (nonce, timestamp) = (field("oauth_nonce"), field("oauth_timestamp"));
    let posted = format!("{}/v3/auth/tokens", server.uri());
    let expected = authorization_header(&Request {
        method: "POST",
        url: &posted,
        form: &[],
        consumer_key: "ck",
        consumer_secret: "cs",
        token: Some("ak"),
        token_secret: "as",
        extra_oauth: &[],
        method_kind: SignatureMethod::HmacSha1,
        timestamp: &timestamp,
        nonce: &nonce,
        realm: None,
        with_version: true,
    })
    .unwrap();
    assert_eq!(sent, expected, "signed for {posted}");
}

#[test]
fn encoding_is_rfc3986() {
    assert_eq!(encode("a b+c~d*e/f"), "a%20b%2Bc~d%2Ae%2Ff");
    assert_eq!(encode("é"), "%C3%A9");
}

/// Issue 21 item 11: an empty `X-Subject-Token` is not taken as the token, and one that is
/// not text is not reported as missing.
#[tokio::test]
async fn an_empty_or_binary_subject_token_is_an_error() {
    use keystoneauth_core::http::HeaderValue;
    use keystoneauth_core::{AuthPlugin, Error, Session};
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let body = serde_json::json!({"token": {
        "methods": ["oauth1"], "user": {"id": "u1"},
        "expires_at": "2999-01-01T00:00:00.000000Z"}});
    for (value, expected) in [
        (
            HeaderValue::from_static(""),
            "X-Subject-Token header is empty",
        ),
        (
            HeaderValue::from_bytes(b"T\x80").unwrap(),
            "X-Subject-Token header is not visible ASCII text",
        ),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v3/auth/tokens"))
            .respond_with(
                ResponseTemplate::new(201)
                    .insert_header("X-Subject-Token", value)
                    .set_body_json(body.clone()),
            )
            .mount(&server)
            .await;
        let plugin = super::V3OAuth1::new(
            server.uri(),
            "ck",
            "cs".to_owned().into(),
            "ak",
            "as".to_owned().into(),
        )
        .into_plugin();
        let s = Session::builder().build().unwrap();
        let e = tokio::time::timeout(std::time::Duration::from_secs(20), plugin.token(&s))
            .await
            .expect("bounded")
            .unwrap_err();
        assert!(matches!(e, Error::InvalidResponse(_)), "{e:?}");
        assert!(e.to_string().contains(expected), "{e}");
    }
}
