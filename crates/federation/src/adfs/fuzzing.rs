//! The parsers, for fuzz targets and tests (not part of the API).

use super::wstrust;
use super::NS_TRUST_13;
use crate::xml::{is, parse_bounded};

/// ADFS's answer: the service provider's form body, or the error. The token response
/// taken out of the answer must parse on its own, as the same element.
pub fn security_token_response(body: &[u8]) -> String {
    if let Ok(element) = wstrust::token_response_element(body) {
        let doc = parse_bounded(&element)
            .unwrap_or_else(|e| panic!("the serialised response does not parse: {e}"));
        assert!(is(
            &doc.root_element(),
            NS_TRUST_13,
            "RequestSecurityTokenResponse"
        ));
    }
    match wstrust::security_token_response(body) {
        Ok(r) => wstrust::sp_form_body(&r),
        Err(e) => e.to_string(),
    }
}

/// The fault subcode of an HTTP 500 body.
pub fn fault_subcode(body: &[u8]) -> Option<String> {
    wstrust::fault_subcode(body)
}
