//! SAML2 ECP: the SP's PAOS request and the IdP's SOAP response (byte 0 picks which), parsed
//! as `v3samlpassword` parses them (no DTDs, bounded depth and node count), and the RelayState
//! spliced into an IdP response.
#![no_main]

use keystoneauth_federation::saml2::fuzzing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    if which & 1 == 0 {
        let _ = fuzzing::sp_request(&text);
    } else {
        let _ = fuzzing::idp_response(&text);
    }
});
