//! Turning a document into a token (read from Keystone, or made from the document alone)
//! or into the plugin it names.

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use keystoneauth_core::redact::hash_secret;
use keystoneauth_core::registry::{self, Opt, OptionValues};
use keystoneauth_core::secrecy::ExposeSecret;
use keystoneauth_core::{AccessInfo, AuthPlugin, Error, Result, Session};
use serde_json::{json, Map, Value};

use super::cache::{Kind, TokenState};
use super::document::{option_text, parse_document, Document, TokenDoc};
use super::{ExecPlugin, TARGET};

impl ExecPlugin {
    /// Run the command and turn its document into a token or a plugin.
    pub(super) async fn fetch(&self, session: &Session) -> Result<Kind> {
        let out = self.command.run().await?;
        match parse_document(&self.command, &out)? {
            Document::Token(doc) => Ok(Kind::Token(self.token_state(session, *doc).await?)),
            Document::Options { auth_type, auth } => {
                let plugin = self.inner_plugin(&auth_type, auth)?;
                tracing::debug!(target: TARGET, auth_type = %auth_type,
                    "the credential command printed the options of a plugin");
                Ok(Kind::Plugin { auth_type, plugin })
            }
        }
    }

    async fn token_state(&self, session: &Session, doc: TokenDoc) -> Result<TokenState> {
        let auth_url = doc.auth_url.clone().or_else(|| self.auth_url.clone());
        let access = match (&doc.catalog, &auth_url) {
            (None, Some(url)) => {
                let url = token_url(url);
                let tok = doc.token.expose_secret();
                let resp = session
                    .get(&url)
                    .header("Accept", "application/json")
                    .header("X-Auth-Token", tok)
                    .header("X-Subject-Token", tok)
                    .authenticated(false)
                    .log_body(false)
                    .send()
                    .await
                    .inspect_err(|e| {
                        tracing::warn!(target: TARGET, url = %url, error = %e,
                            "reading the body of the token the credential command printed failed");
                    })?;
                AccessInfo::from_body(resp.bytes(), Some(doc.token.clone()))?
            }
            _ => self.synthesize(&doc)?,
        };
        let from_body = SystemTime::from(access.expires());
        let expires = match doc.expires_at {
            Some(e) if e < from_body => e,
            _ => from_body,
        };
        let now = SystemTime::now();
        let left = expires.duration_since(now).map_err(|_| {
            self.command.fail(format_args!(
                "printed a token that has expired (expires_at {})",
                doc.expires_text
                    .as_deref()
                    .unwrap_or("from Keystone's token body")
            ))
        })?;
        let window = self.refresh_window.min(left / 2);
        tracing::debug!(target: TARGET,
            token = %hash_secret(access.auth_token().expose_secret()),
            expires_in_s = left.as_secs(), catalog = access.has_service_catalog(),
            "the credential command printed a token");
        Ok(TokenState {
            access: Arc::new(access),
            auth_url,
            expires,
            stale_at: expires.checked_sub(window).unwrap_or(now),
            retry_after: Mutex::new(None),
        })
    }

    /// Access info from the document alone (no auth URL, or a catalog given).
    fn synthesize(&self, doc: &TokenDoc) -> Result<AccessInfo> {
        let Some(expires) = &doc.expires_text else {
            return Err(self.command.fail(
                "printed a token without `expires_at`, and no auth URL is known to read its \
                 expiry from (give expires_at, or auth_url in the document or the options)",
            ));
        };
        let id = |k: &str| doc.ids.get(k).cloned();
        let mut token = json!({
            "methods": ["token"],
            "expires_at": expires,
            "user": {"id": id("user_id").unwrap_or_default()},
        });
        if let Some(p) = id("project_id") {
            let mut project = json!({"id": p});
            if let Some(n) = id("project_name") {
                project["name"] = json!(n);
            }
            if let Some(d) = id("project_domain_id") {
                project["domain"] = json!({"id": d});
            }
            token["project"] = project;
        } else if let Some(d) = id("domain_id") {
            token["domain"] = json!({"id": d});
        }
        if let Some(c) = &doc.catalog {
            token["catalog"] = c.clone();
        }
        let body = serde_json::to_vec(&json!({ "token": token })).map_err(|e| {
            self.command
                .fail(format_args!("gave a document that could not be used: {e}"))
        })?;
        AccessInfo::from_v3_body(&body, doc.token.clone()).map_err(|_| {
            self.command.fail(
                "printed a token document that could not be used (is `catalog` a v3 catalog \
                 list, and `expires_at` an RFC 3339 time?)",
            )
        })
    }

    /// Load the plugin a document names, with its options.
    fn inner_plugin(
        &self,
        auth_type: &str,
        auth: Map<String, Value>,
    ) -> Result<Arc<dyn AuthPlugin>> {
        if auth_type.is_empty() {
            return Err(self
                .command
                .fail("printed a document whose field `auth_type` is empty"));
        }
        if auth_type == "exec" {
            return Err(self.command.fail(
                "printed a document with auth_type exec; a command cannot name the exec \
                 plugin again",
            ));
        }
        let loader = registry::loader(auth_type)?;
        let mut opts = loader.opts();
        // v3multifactor: the options of each method in auth_methods too.
        if let Some(methods) = auth.get("auth_methods").and_then(option_text) {
            let list = OptionValues::new()
                .with("m", methods)
                .get_list("m")
                .unwrap_or_default();
            for name in list {
                for o in registry::loader(&name)?.opts() {
                    if !opts.iter().any(|x| x.dest() == o.dest()) {
                        opts.push(o);
                    }
                }
            }
        }
        let norm = |k: &str| k.trim().replace('-', "_").to_ascii_lowercase();
        let mut values = OptionValues::new();
        let mut unknown = Vec::new();
        for (k, v) in &auth {
            let key = norm(k);
            match opts
                .iter()
                .find(|o| o.keys().iter().any(|x| norm(x) == key))
            {
                Some(o) => {
                    if let Some(text) = option_text(v) {
                        values.set(&o.dest(), text);
                    }
                }
                None => unknown.push(k.clone()),
            }
        }
        if !unknown.is_empty() {
            let mut names: Vec<String> = opts.iter().map(Opt::dest).collect();
            names.sort();
            return Err(self.command.fail(format_args!(
                "printed options that {auth_type} does not have: {}; its options are: {}",
                unknown.join(", "),
                names.join(", ")
            )));
        }
        if let Some(url) = &self.auth_url {
            if !values.contains("auth_url") && opts.iter().any(|o| o.dest() == "auth_url") {
                values.set("auth_url", url.clone());
            }
        }
        loader.load(&values).map_err(|e| match e {
            Error::MissingRequiredOptions(missing) => self.command.fail(format_args!(
                "printed the options of {auth_type} without {}",
                missing
                    .iter()
                    .map(|m| m.name.replace('-', "_"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            other => other,
        })
    }
}

/// `{auth_url}/auth/tokens`, or `{auth_url}/v3/auth/tokens` when it does not end in `v3`.
fn token_url(auth_url: &str) -> String {
    let base = auth_url.trim_end_matches('/');
    if base.ends_with("v3") {
        format!("{base}/auth/tokens")
    } else {
        format!("{base}/v3/auth/tokens")
    }
}
