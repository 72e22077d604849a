//! ADFS 2.0 WS-Trust: ADFS's answer (byte 0 even), parsed as `v3adfspassword` parses it (no
//! DTDs, bounded depth and node count), its one RequestSecurityTokenResponse taken out with
//! its inherited namespaces (which must parse on its own) and quoted for the SP; or an HTTP 500
//! body (byte 0 odd) searched for its SOAP fault subcode.
#![no_main]

use keystoneauth_federation::adfs::fuzzing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    if which & 1 == 0 {
        let _ = fuzzing::security_token_response(rest);
    } else {
        let _ = fuzzing::fault_subcode(rest);
    }
});
