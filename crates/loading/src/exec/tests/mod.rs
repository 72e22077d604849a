//! Tests of the `exec` plugin with small shell scripts written into a temporary directory.
#![cfg(unix)]

use std::collections::HashSet;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use keystoneauth_core::http::{HeaderMap, HeaderValue};
use keystoneauth_core::registry::{Opt, OptionValues};
use keystoneauth_core::secrecy::ExposeSecret;
use keystoneauth_core::{AuthPlugin, EndpointFilter, Error, HttpError, Result, Session};
use serde_json::{json, Value};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;

mod bad_commands;
mod loading;
mod options;
mod options_documents;
mod single_flight;
mod token_documents;

// ------------------------------------------------------------------ helpers

/// A temporary directory with scripts and the file each run appends to.
struct Dir {
    dir: tempfile::TempDir,
}

impl Dir {
    fn new() -> Dir {
        Dir {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Write an executable `/bin/sh` script; `$D` is this directory. Every run appends a line
    /// to `$D/runs` first.
    fn script(&self, name: &str, body: &str) -> String {
        let p = self.path(name);
        let text = format!(
            "#!/bin/sh\nD='{}'\necho run >> \"$D/runs\"\n{body}\n",
            self.dir.path().display()
        );
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p.to_str().unwrap().to_owned()
    }

    /// A script printing `doc` (kept in a file, so the test can change it between runs).
    fn printing(&self, doc: &Value) -> String {
        self.set_doc(doc);
        self.script("print-doc", "cat \"$D/doc.json\"")
    }

    fn set_doc(&self, doc: &Value) {
        std::fs::write(self.path("doc.json"), doc.to_string()).unwrap();
    }

    fn runs(&self) -> usize {
        std::fs::read_to_string(self.path("runs"))
            .map(|s| s.lines().count())
            .unwrap_or(0)
    }
}

fn rfc3339_in(d: Duration) -> String {
    (time::OffsetDateTime::now_utc() + d)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

fn rfc3339_ago(d: Duration) -> String {
    (time::OffsetDateTime::now_utc() - d)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

fn session() -> Session {
    Session::builder().build().unwrap()
}

fn catalog(base: &str) -> Value {
    json!([{
        "type": "compute", "name": "nova", "id": "svc-compute",
        "endpoints": [{"id": "ep-1", "interface": "public", "region_id": "RegionOne",
                       "url": format!("{base}/compute/v2.1")}]
    }])
}

fn token_doc(token: &str, expires_in: Duration) -> Value {
    json!({"version": 1, "token": token, "expires_at": rfc3339_in(expires_in)})
}

fn err_text(e: &Error) -> String {
    e.to_string()
}

async fn headers_of(p: &ExecPlugin) -> Result<HeaderMap> {
    Ok(p.auth_headers(&session()).await?.unwrap())
}

fn auth_token(h: &HeaderMap) -> &str {
    h.get("x-auth-token").unwrap().to_str().unwrap()
}

// ------------------------------------------------------------------ a plugin for options documents

/// Secrets `t-exec-inner` refuses with 401 (each test uses its own), and those it refuses
/// as Keystone refuses a deleted application credential (404 to `POST /v3/auth/tokens`).
static REVOKED: Mutex<Option<HashSet<String>>> = Mutex::new(None);
static DELETED: Mutex<Option<HashSet<String>>> = Mutex::new(None);

fn revoke(secret: &str) {
    REVOKED
        .lock()
        .unwrap()
        .get_or_insert_with(HashSet::new)
        .insert(secret.to_owned());
}

fn delete(secret: &str) {
    DELETED
        .lock()
        .unwrap()
        .get_or_insert_with(HashSet::new)
        .insert(secret.to_owned());
}

fn is_in(set: &Mutex<Option<HashSet<String>>>, secret: &str) -> bool {
    set.lock()
        .unwrap()
        .as_ref()
        .is_some_and(|r| r.contains(secret))
}

fn http_error(status: u16, url: &str, method: &str) -> Error {
    Error::from_http(HttpError::new(status, "refused", url, method))
}

#[derive(Debug)]
struct Inner {
    secret: String,
    auth_url: Option<String>,
    region: Option<String>,
}

#[keystoneauth_core::async_trait]
impl AuthPlugin for Inner {
    async fn auth_headers(&self, _s: &Session) -> Result<Option<HeaderMap>> {
        let tokens = "http://keystone.invalid/v3/auth/tokens";
        if is_in(&REVOKED, &self.secret) {
            return Err(http_error(401, tokens, "POST"));
        }
        if is_in(&DELETED, &self.secret) {
            return Err(http_error(404, tokens, "POST"));
        }
        if self.secret.starts_with("missing-") {
            return Err(http_error(
                404,
                "http://keystone.invalid/v3/projects/x",
                "GET",
            ));
        }
        let mut h = HeaderMap::new();
        h.insert("x-auth-token", HeaderValue::from_str(&self.secret).unwrap());
        Ok(Some(h))
    }
    fn auth_url(&self) -> Option<String> {
        self.auth_url.clone()
    }
    async fn project_id(&self, _s: &Session) -> Result<Option<String>> {
        Ok(self.region.clone())
    }
}

fn inner_opts() -> Vec<Opt> {
    vec![
        Opt::new("auth-url", "Authentication URL"),
        Opt::new("secret", "The secret").secret().required(),
        Opt::new("region-hint", "Anything").deprecated(&["old-hint"]),
    ]
}

fn create_inner(v: &OptionValues) -> Result<Arc<dyn AuthPlugin>> {
    Ok(Arc::new(Inner {
        secret: v.get("secret").unwrap_or_default(),
        auth_url: v.get("auth_url"),
        region: v.get("region_hint"),
    }))
}

keystoneauth_core::register_plugin! {
    name: "t-exec-inner",
    description: "test",
    options: inner_opts,
    create: create_inner,
}

fn options_doc(secret: &str) -> Value {
    json!({"version": 1, "auth_type": "t-exec-inner", "auth": {"secret": secret}})
}
