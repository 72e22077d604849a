//! clouds.yaml / secure.yaml text: `keystoneauth_loading::clouds::parse_yaml`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let _ = keystoneauth_loading::clouds::parse_yaml(std::path::Path::new("clouds.yaml"), s);
});
