//! Version parsing: `Version::parse`, `VersionRange::from_args`, `version_from_url`; the
//! input is up to three `\n`-separated strings.
#![no_main]

use keystoneauth_core::version::{version_from_url, Version, VersionRange};
use libfuzzer_sys::fuzz_target;

fn empty(x: Option<&str>) -> Option<&str> {
    x.filter(|x| !x.is_empty())
}

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = s.splitn(3, '\n');
    let (a, b, c) = (parts.next(), parts.next(), parts.next());
    if let Some(a) = a {
        if let Ok(v) = Version::parse(a) {
            let shown = v.to_string();
            let again = Version::parse(&shown).expect("a shown version parses");
            assert_eq!(again, v, "{a:?} → {shown:?}");
            let _ = (v.major(), v.minor(), v.is_latest(), v.major_latest());
            let _ = v.matches(&Version::new(2, 1));
            let _ = v.latest_soft_match(&Version::latest());
        }
        let _ = version_from_url(a);
    }
    if let Ok(r) = VersionRange::from_args(empty(a), empty(b), empty(c)) {
        let _ = r.is_empty();
        let _ = r.contains(&Version::new(3, 0));
    }
    let _ = VersionRange::from_args(None, empty(b), empty(c));
});
