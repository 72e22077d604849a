//! `WWW-Authenticate` headers as the Kerberos plugins read them: each line of the input is
//! one header value; the `Negotiate` challenge (its base64 token) is found or a typed error.
#![no_main]

use http::{HeaderMap, HeaderValue};
use keystoneauth_extras::kerberos::parse_www_authenticate;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut headers = HeaderMap::new();
    for line in data.split(|b| *b == b'\n').take(8) {
        if let Ok(v) = HeaderValue::from_bytes(line) {
            headers.append("www-authenticate", v);
        }
    }
    match parse_www_authenticate(&headers) {
        Ok(challenge) => {
            let _ = format!("{challenge:?}");
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
