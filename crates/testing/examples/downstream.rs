//! How a downstream crate tests its own client code against the emulator.
//!
//! `MyComputeClient` stands for code under test: it is built on keystoneauth's `Session` with a
//! v3 `Password` plugin (as a real OpenStack client would be), finds the compute endpoint in
//! the catalog and lists servers. The `main` below plays the test: it starts an emulator,
//! revokes tokens and injects faults, and checks what the client does.
//!
//! `keystoneauth-core` and `keystoneauth-identity-v3` are dev-dependencies of this crate, as
//! they would be in a downstream crate's `[dev-dependencies]` next to `keystoneauth-testing`.
//!
//! Run with `cargo run -p keystoneauth-testing --example downstream`; `cargo test -p
//! keystoneauth-testing` runs it too (`test = true` in Cargo.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::sync::Arc;
use std::time::Duration;

use keystoneauth_core::{EndpointFilter, Error, Session};
use keystoneauth_identity_v3::{Password, Scope};
use keystoneauth_testing::emulator::{Emulator, ProjectSpec, RoleSpec, UserSpec};
use serde_json::{json, Value};

/// The code under test: everything it knows is an auth URL and credentials.
struct MyComputeClient {
    session: Session,
}

impl MyComputeClient {
    fn new(auth_url: &str, user: &str, password: &str, project: &str) -> Result<Self, Error> {
        let plugin = Password::new(auth_url, password)
            .username(user)
            .user_domain_id("default")
            .scope(Scope::project_in_domain_id(project, "default"))
            .into_plugin();
        let session = Session::builder()
            .auth(Arc::new(plugin))
            .timeout(Duration::from_secs(5))
            .app("my-compute-client", "1.0")
            .build()?;
        Ok(MyComputeClient { session })
    }

    /// `GET <compute>/servers`: the Session logs in when it needs to, adds the token, finds
    /// the endpoint in the catalog and, on a 401, logs in again once.
    async fn list_servers(&self) -> Result<Value, Error> {
        self.session
            .get("/servers")
            .endpoint_filter(EndpointFilter::service("compute"))
            .send()
            .await?
            .json()
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let (url, token_requests) = scenario().await;
    println!("downstream example passed against {url} ({token_requests} token requests)");
}

/// The downstream crate's test; returns the emulator URL and the number of logins.
async fn scenario() -> (String, usize) {
    let emu = Emulator::builder()
        .user(UserSpec::new("ci", "ci-pass"))
        .project(ProjectSpec::new("ci-project"))
        .role(RoleSpec::project("ci", "ci-project", "member"))
        .start()
        .await
        .expect("emulator starts");

    let client = MyComputeClient::new(&emu.auth_url_v3(), "ci", "ci-pass", "ci-project")
        .expect("client builds");

    // 1. The happy path: one login, one call.
    assert_eq!(client.list_servers().await.unwrap(), json!({"servers": []}));
    assert_eq!(emu.token_requests(), 1);

    // 2. A second call reuses the token.
    client.list_servers().await.unwrap();
    assert_eq!(emu.token_requests(), 1);
    let calls = emu
        .requests()
        .into_iter()
        .filter(|r| r.path == "/compute/v2.1/servers")
        .count();
    assert_eq!(calls, 2);

    // 3. Tokens revoked server-side: the 401 makes the client log in again, exactly once.
    emu.revoke_all();
    assert_eq!(client.list_servers().await.unwrap(), json!({"servers": []}));
    assert_eq!(emu.token_requests(), 2);

    // 4. Identity is down while the client needs a new token: the 503 surfaces as a typed
    //    error (with Keystone's request id) instead of a loop.
    emu.revoke_all();
    emu.faults()
        .only_path(Some("/v3/auth/tokens"))
        .fail_next(5, 503, None);
    let err = client.list_servers().await.unwrap_err();
    match &err {
        Error::ServiceUnavailable(h) => {
            assert_eq!(h.status, 503);
            assert!(h.request_id.is_some());
        }
        e => panic!("expected a 503, got {e:?}"),
    }
    assert_eq!(emu.token_requests(), 3, "one login attempt, no loop");
    emu.faults().clear();

    // 5. Identity is back: the next call logs in and works.
    assert_eq!(client.list_servers().await.unwrap(), json!({"servers": []}));
    assert_eq!(emu.token_requests(), 4);

    (emu.url(), emu.token_requests())
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn downstream_scenario() {
        super::scenario().await;
    }
}
