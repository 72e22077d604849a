//! `v3adfspassword` keeps the password, the SAML assertion and the SP's cookie out of `Debug`
//! and the debug logs (own test binary: the global tracing subscriber).

mod adfs_common;

use std::sync::{Arc, Mutex};

use adfs_common::*;
use keystoneauth_core::registry;
use keystoneauth_core::secrecy::ExposeSecret;
use keystoneauth_core::AuthPlugin;
use keystoneauth_federation::{Federated, Scope};
use wiremock::MockServer;

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);
impl std::io::Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_password_and_assertion_are_never_in_debug_or_logs() {
    let buf = Buf::default();
    let b = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || b.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();
    let server = MockServer::start().await;
    mount_sts(&server, soap(200, sts_answer(1))).await;
    mount_sp(&server, true, 1).await;
    mount_keystone(&server, 1, 1).await;
    let plugin = Federated::new(flow(&server), Scope::ProjectId("P".into()));
    let debug = format!("{plugin:?} {:?} {plugin:#?}", plugin.source());
    assert!(debug.contains("alice") && debug.contains("***"), "{debug}");
    let s = session();
    assert_eq!(
        plugin.token(&s).await.unwrap().unwrap().expose_secret(),
        "SCOPED"
    );
    let loaded = registry::load("v3adfspassword", &loader_values(&server)).unwrap();
    let debug = format!("{debug} {loaded:?}");
    let logs = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    // The flow's requests were logged (so this test can see a leak).
    assert!(
        logs.contains(STS) && logs.contains(SP) && logs.contains(FED),
        "{logs}"
    );
    for secret in [
        "s3cr3t",
        "s3cr3t".replace('3', "%33").as_str(),
        "_assertion0",
        "sess42",
    ] {
        assert!(!debug.contains(secret), "{secret} in {debug}");
        assert!(!logs.contains(secret), "{secret} in {logs}");
    }
}
