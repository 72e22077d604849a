//! Plugin option values: `OptionValues::get_list` / `get_bool` / `get` on fuzzed text.
#![no_main]

use keystoneauth_core::registry::OptionValues;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let mut v = OptionValues::new();
    v.set("auth-methods", s);
    v.set("insecure", s);
    if let Some((k, val)) = s.split_once('=') {
        v.set(k, val);
        let _ = v.get(k);
        let _ = v.get_bool(k);
        let _ = v.get_list(k);
    }
    let _ = v.get_list("auth-methods");
    let _ = v.get_list("auth_methods");
    let _ = v.get_bool("insecure");
    let _ = v.get("insecure");
    let _ = v.contains("auth-methods");
    let _ = v.keys().count();
});
