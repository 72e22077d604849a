//! Catalog lookups on fuzzed bodies with fuzzed filters. The first line of the input is
//! `type|interface,interface|region|name|id` (empty fields unset); the rest is the body.
#![no_main]

use keystoneauth_core::catalog::Interface;
use keystoneauth_core::secrecy::SecretString;
use keystoneauth_core::{AccessInfo, EndpointFilter};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|b| *b == b'\n').unwrap_or(0);
    let (head, body) = data.split_at(split);
    let head = String::from_utf8_lossy(head);
    let mut fields = head.split('|');
    let mut next = || fields.next().filter(|s| !s.is_empty()).map(str::to_owned);
    let mut filter = EndpointFilter::default();
    filter.service_type = next();
    if let Some(ifs) = next() {
        filter.interface = ifs.split(',').map(Interface::parse).collect();
    }
    filter.region_name = next();
    filter.service_name = next();
    filter.endpoint_id = next();
    let Ok(a) = AccessInfo::from_body(body, Some(SecretString::from("tok"))) else {
        return;
    };
    let cat = a.service_catalog();
    let all = cat.endpoints_data(&filter);
    match cat.endpoint_data_for(&filter) {
        Ok(first) => assert_eq!(Some(&first), all.first()),
        Err(_) => assert!(all.is_empty()),
    }
    let _ = cat.url_for(&filter);
});
