//! How a downstream crate tests its own HTTP client code against the emulator.
//!
//! `MyComputeClient` stands for code under test: it logs in with a password, finds the compute
//! endpoint in the catalog and lists servers, re-authenticating once on a 401. The `main`
//! below plays the test: it starts an emulator, injects faults, and checks the behaviour.
//!
//! Run with `cargo run -p keystoneauth-testing --example downstream`.

use std::time::Duration;

use keystoneauth_testing::emulator::{Emulator, ProjectSpec, RoleSpec, UserSpec};
use serde_json::{json, Value};

/// The code under test.
struct MyComputeClient {
    http: reqwest::Client,
    auth_url: String,
    user: String,
    password: String,
    project: String,
    token: Option<(String, String)>,
}

impl MyComputeClient {
    async fn login(&mut self) -> Result<(), String> {
        let body = json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": self.user, "password": self.password, "domain": {"id": "default"}}}},
            "scope": {"project": {"name": self.project, "domain": {"id": "default"}}},
        }});
        let r = self
            .http
            .post(format!("{}/auth/tokens", self.auth_url))
            .json(&body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if r.status() != 201 {
            return Err(format!("login failed: {}", r.status()));
        }
        let token = r.headers()["x-subject-token"]
            .to_str()
            .map_err(|e| e.to_string())?
            .to_string();
        let body: Value = r.json().await.map_err(|e| e.to_string())?;
        let url = body["token"]["catalog"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|s| s["type"] == "compute")
            .flat_map(|s| s["endpoints"].as_array().cloned().unwrap_or_default())
            .find(|e| e["interface"] == "public")
            .and_then(|e| e["url"].as_str().map(String::from))
            .ok_or("no compute endpoint")?;
        self.token = Some((token, url));
        Ok(())
    }

    async fn list_servers(&mut self) -> Result<Value, String> {
        for _attempt in 0..2 {
            if self.token.is_none() {
                self.login().await?;
            }
            let (token, url) = self.token.clone().ok_or("not logged in")?;
            let r = self
                .http
                .get(format!("{url}/servers"))
                .header("X-Auth-Token", token)
                .send()
                .await
                .map_err(|e| e.to_string())?;
            if r.status() == 401 {
                self.token = None;
                continue;
            }
            return r.json().await.map_err(|e| e.to_string());
        }
        Err("still unauthorized after re-authenticating".into())
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let emu = Emulator::builder()
        .user(UserSpec::new("ci", "ci-pass"))
        .project(ProjectSpec::new("ci-project"))
        .role(RoleSpec::project("ci", "ci-project", "member"))
        .start()
        .await
        .expect("emulator starts");

    let mut client = MyComputeClient {
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .expect("client"),
        auth_url: emu.auth_url_v3(),
        user: "ci".into(),
        password: "ci-pass".into(),
        project: "ci-project".into(),
        token: None,
    };

    // 1. The happy path: one login, one call.
    assert_eq!(client.list_servers().await.unwrap(), json!({"servers": []}));
    assert_eq!(emu.token_requests(), 1);

    // 2. A second call reuses the token.
    client.list_servers().await.unwrap();
    assert_eq!(emu.token_requests(), 1);

    // 3. Tokens revoked server-side: the client re-authenticates exactly once.
    emu.revoke_all();
    client.list_servers().await.unwrap();
    assert_eq!(emu.token_requests(), 2);

    // 4. Identity is down: the error surfaces instead of looping.
    emu.revoke_all();
    emu.faults()
        .only_path(Some("/v3/auth/tokens"))
        .fail_next(5, 503, Some(1));
    let err = client.list_servers().await.unwrap_err();
    assert!(err.contains("503"), "{err}");
    emu.faults().clear();

    println!(
        "downstream example passed against {} ({} token requests)",
        emu.url(),
        emu.token_requests()
    );
}
