//! clouds.yaml / secure.yaml text: `keystoneauth_loading::clouds::parse_yaml` (serde-saphyr,
//! with the loader's size, depth, node and alias limits), then what the loader does with the
//! document: secure.yaml merged over it, each cloud flattened with its profile.
#![no_main]

use keystoneauth_loading::clouds::{merge, parse_yaml, CloudsFile};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(doc) = parse_yaml(std::path::Path::new("clouds.yaml"), s) else {
        return;
    };
    let mut merged = doc.clone();
    merge(&mut merged, doc.clone());
    let file = CloudsFile {
        doc: merged,
        public: doc,
        // URL profiles (`profile: https://…`, `vexxhost`) are not fetched while fuzzing.
        offline: true,
        ..Default::default()
    };
    for name in file.cloud_names() {
        let _ = file.cloud(&name);
    }
});
