//! The SOAP/ECP parsers, for the fuzz targets in `fuzz/` (not part of the API).

use super::ecp::{insert_relay_state, parse_idp_response, parse_sp_request};
use super::NS_ECP;

/// An SP's PAOS request: the consumer URL and the envelope forwarded to the IdP, or the
/// error.
pub fn sp_request(text: &str) -> String {
    match parse_sp_request(text) {
        Ok(r) => format!(
            "{} {:?} {}",
            r.consumer_url,
            r.relay_state,
            r.envelope_without_header.len()
        ),
        Err(e) => e.to_string(),
    }
}

/// An IdP's ECP response: its consumer URL and SAML status (or the error), and the same
/// response with a RelayState spliced into its header, which must still parse.
pub fn idp_response(text: &str) -> String {
    let parsed = match parse_idp_response(text) {
        Ok(r) => format!("{} {:?}", r.consumer_url, r.failure),
        Err(e) => e.to_string(),
    };
    let relay = format!("<ecp:RelayState xmlns:ecp=\"{NS_ECP}\">r</ecp:RelayState>");
    if let Ok(spliced) = insert_relay_state(text, &relay) {
        assert!(spliced.contains(&relay));
    }
    parsed
}
