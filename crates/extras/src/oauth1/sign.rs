//! RFC 5849 signing: the signature base string, HMAC-SHA1 and HMAC-SHA256, and the
//! `Authorization: OAuth …` header.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::SignatureMethod;
use keystoneauth_core::{Error, Result};

/// RFC 3986 unreserved characters stay; everything else is encoded (RFC 5849 §3.6).
const ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encode as RFC 5849 §3.6 requires.
pub fn encode(s: &str) -> String {
    utf8_percent_encode(s, ENCODE).to_string()
}

/// What to sign.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Full URL, query included.
    pub url: &'a str,
    /// Form-encoded body parameters (only for `application/x-www-form-urlencoded`).
    pub form: &'a [(&'a str, &'a str)],
    /// Consumer key.
    pub consumer_key: &'a str,
    /// Consumer secret.
    pub consumer_secret: &'a str,
    /// Token (request or access token), if any.
    pub token: Option<&'a str>,
    /// Token secret (empty if none).
    pub token_secret: &'a str,
    /// Other `oauth_*` parameters (`oauth_callback`, `oauth_verifier`).
    pub extra_oauth: &'a [(&'a str, &'a str)],
    /// Signature method.
    pub method_kind: SignatureMethod,
    /// `oauth_timestamp`.
    pub timestamp: &'a str,
    /// `oauth_nonce`.
    pub nonce: &'a str,
    /// Optional realm (not signed).
    pub realm: Option<&'a str>,
    /// Send `oauth_version="1.0"` (optional in RFC 5849; oauthlib and Keystone send it).
    pub with_version: bool,
}

fn oauth_params<'a>(r: &Request<'a>) -> Vec<(&'a str, String)> {
    let mut p: Vec<(&'a str, String)> = vec![
        ("oauth_consumer_key", r.consumer_key.to_owned()),
        ("oauth_nonce", r.nonce.to_owned()),
        ("oauth_signature_method", r.method_kind.as_str().to_owned()),
        ("oauth_timestamp", r.timestamp.to_owned()),
    ];
    if r.with_version {
        p.push(("oauth_version", "1.0".to_owned()));
    }
    if let Some(t) = r.token {
        p.push(("oauth_token", t.to_owned()));
    }
    for (k, v) in r.extra_oauth {
        p.push((k, (*v).to_owned()));
    }
    p
}

/// The signature base string (RFC 5849 §3.4.1).
pub fn base_string(r: &Request<'_>, oauth: &[(&str, String)]) -> Result<String> {
    let url = url::Url::parse(r.url)
        .map_err(|e| Error::OptionError(format!("invalid URL to sign {:?}: {e}", r.url)))?;
    // Base string URI: scheme and host lower case, default port omitted, no query.
    let mut base_uri = format!(
        "{}://{}",
        url.scheme().to_ascii_lowercase(),
        url.host_str().unwrap_or("").to_ascii_lowercase()
    );
    if let Some(port) = url.port() {
        base_uri.push_str(&format!(":{port}"));
    }
    base_uri.push_str(url.path());
    let mut params: Vec<(String, String)> = Vec::new();
    for (k, v) in url.query_pairs() {
        params.push((encode(&k), encode(&v)));
    }
    for (k, v) in r.form {
        params.push((encode(k), encode(v)));
    }
    for (k, v) in oauth {
        params.push((encode(k), encode(v)));
    }
    params.sort();
    let normalized = params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    Ok(format!(
        "{}&{}&{}",
        r.method.to_ascii_uppercase(),
        encode(&base_uri),
        encode(&normalized)
    ))
}

/// The `oauth_signature` value (base64).
pub fn signature(r: &Request<'_>, base: &str) -> String {
    let key = format!("{}&{}", encode(r.consumer_secret), encode(r.token_secret));
    let raw = match r.method_kind {
        SignatureMethod::HmacSha1 => {
            #[allow(
                clippy::expect_used,
                reason = "HMAC takes a key of any length: new_from_slice cannot fail"
            )]
            let mut m = Hmac::<sha1::Sha1>::new_from_slice(key.as_bytes())
                .expect("HMAC accepts any key length");
            m.update(base.as_bytes());
            m.finalize().into_bytes().to_vec()
        }
        SignatureMethod::HmacSha256 => {
            #[allow(
                clippy::expect_used,
                reason = "HMAC takes a key of any length: new_from_slice cannot fail"
            )]
            let mut m = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes())
                .expect("HMAC accepts any key length");
            m.update(base.as_bytes());
            m.finalize().into_bytes().to_vec()
        }
    };
    base64::engine::general_purpose::STANDARD.encode(raw)
}

/// The `Authorization: OAuth …` header value.
pub fn authorization_header(r: &Request<'_>) -> Result<String> {
    let mut oauth = oauth_params(r);
    let base = base_string(r, &oauth)?;
    oauth.push(("oauth_signature", signature(r, &base)));
    let mut parts = Vec::new();
    if let Some(realm) = r.realm {
        parts.push(format!("realm=\"{realm}\""));
    }
    for (k, v) in oauth {
        parts.push(format!("{}=\"{}\"", encode(k), encode(&v)));
    }
    Ok(format!("OAuth {}", parts.join(", ")))
}

/// A random nonce and the current timestamp.
pub fn nonce_and_timestamp() -> (String, String) {
    use rand::Rng;
    // Keystone's validator accepts only lower-case hex characters (its tokens are uuid hex)
    // and oauthlib wants 20 to 30 of them.
    let mut rng = rand::thread_rng();
    let nonce: String = (0..30)
        .map(|_| char::from(b"0123456789abcdef"[rng.gen_range(0..16)]))
        .collect();
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    (nonce, ts.to_string())
}
