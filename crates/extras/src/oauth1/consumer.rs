//! Consumer-side steps of Keystone's OS-OAUTH1 flow: request token, authorize, access token.

use std::fmt;

use keystoneauth_core::secrecy::{ExposeSecret, SecretString};
use keystoneauth_core::{Error, Result, Session};

use super::{sign, v3_base, SignatureMethod};

/// A request or access token with its secret.
#[derive(Clone)]
pub struct OAuthToken {
    /// The key (`oauth_token`).
    pub key: String,
    /// The secret (`oauth_token_secret`).
    pub secret: SecretString,
    /// `oauth_expires_at`, if given.
    pub expires_at: Option<String>,
}

impl fmt::Debug for OAuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthToken")
            .field("key", &self.key)
            .field("secret", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

fn parse_form_token(body: &[u8]) -> Result<OAuthToken> {
    let mut key = None;
    let mut secret = None;
    let mut expires_at = None;
    for (k, v) in url::form_urlencoded::parse(body) {
        match k.as_ref() {
            "oauth_token" => key = Some(v.into_owned()),
            "oauth_token_secret" => secret = Some(v.into_owned()),
            "oauth_expires_at" => expires_at = Some(v.into_owned()),
            _ => {}
        }
    }
    match (key, secret) {
        (Some(key), Some(secret)) => Ok(OAuthToken {
            key,
            secret: SecretString::from(secret),
            expires_at,
        }),
        _ => Err(Error::InvalidResponse(
            "OAuth response lacks oauth_token or oauth_token_secret".into(),
        )),
    }
}

async fn signed_post(
    session: &Session,
    url: &str,
    consumer_key: &str,
    consumer_secret: &SecretString,
    token: Option<(&str, &SecretString)>,
    extra: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> Result<OAuthToken> {
    let (nonce, timestamp) = sign::nonce_and_timestamp();
    let auth = sign::authorization_header(&sign::Request {
        method: "POST",
        url,
        form: &[],
        consumer_key,
        consumer_secret: consumer_secret.expose_secret(),
        token: token.map(|t| t.0),
        token_secret: token.map(|t| t.1.expose_secret()).unwrap_or(""),
        extra_oauth: extra,
        method_kind: SignatureMethod::HmacSha1,
        timestamp: &timestamp,
        nonce: &nonce,
        realm: None,
        with_version: true,
    })?;
    let mut req = session
        .post(url)
        .header("Authorization", auth)
        .authenticated(false)
        .log_body(false);
    for (k, v) in headers {
        req = req.header(k, v);
    }
    let resp = req.send().await?;
    parse_form_token(resp.bytes())
}

/// Ask for a request token for a project (`oauth_callback=oob`).
pub async fn request_token(
    session: &Session,
    auth_url: &str,
    consumer_key: &str,
    consumer_secret: &SecretString,
    project_id: &str,
) -> Result<OAuthToken> {
    let url = format!("{}/OS-OAUTH1/request_token", v3_base(auth_url));
    signed_post(
        session,
        &url,
        consumer_key,
        consumer_secret,
        None,
        &[("oauth_callback", "oob")],
        &[("Requested-Project-Id", project_id)],
    )
    .await
}

/// Authorize a request token as the user (the session authenticates as that user) with
/// these role ids; returns the verifier.
pub async fn authorize(
    session: &Session,
    auth_url: &str,
    request_token: &str,
    role_ids: &[&str],
) -> Result<SecretString> {
    let url = format!("{}/OS-OAUTH1/authorize/{request_token}", v3_base(auth_url));
    let roles: Vec<_> = role_ids
        .iter()
        .map(|r| serde_json::json!({"id": r}))
        .collect();
    let resp = session
        .put(&url)
        .json(&serde_json::json!({"roles": roles}))
        .send()
        .await?;
    let v: serde_json::Value = resp.json()?;
    v.pointer("/token/oauth_verifier")
        .and_then(|x| x.as_str())
        .map(|s| SecretString::from(s.to_owned()))
        .ok_or_else(|| {
            Error::InvalidResponse("authorize response lacks token.oauth_verifier".into())
        })
}

/// Exchange an authorized request token and its verifier for an access token.
pub async fn access_token(
    session: &Session,
    auth_url: &str,
    consumer_key: &str,
    consumer_secret: &SecretString,
    request_token: &OAuthToken,
    verifier: &SecretString,
) -> Result<OAuthToken> {
    let url = format!("{}/OS-OAUTH1/access_token", v3_base(auth_url));
    signed_post(
        session,
        &url,
        consumer_key,
        consumer_secret,
        Some((&request_token.key, &request_token.secret)),
        &[("oauth_verifier", verifier.expose_secret())],
        &[],
    )
    .await
}
