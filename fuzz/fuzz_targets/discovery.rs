//! Version discovery documents: `Discover::parse` and version selection.
#![no_main]

use keystoneauth_core::discover::Discover;
use keystoneauth_core::version::VersionRange;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(d) = Discover::parse("http://keystone.example:5000/v3/", data) else {
        return;
    };
    let _ = d.url();
    let _ = d.versions().len();
    let ranges = [
        VersionRange::default(),
        VersionRange::from_args(Some("3"), None, None).expect("valid"),
        VersionRange::from_args(None, Some("2.0"), Some("latest")).expect("valid"),
        VersionRange::from_args(Some("latest"), None, None).expect("valid"),
    ];
    for r in &ranges {
        let _ = d.versioned_data_for(None, r);
        let _ = d.versioned_data_for(Some("http://keystone.example:5000/v3"), r);
    }
});
