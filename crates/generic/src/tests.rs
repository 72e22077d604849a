//! The plugins' cache ids and `Debug` output.

use keystoneauth_core::plugin::cache_id_from_elements;
use keystoneauth_core::Authenticator;

use crate::{Password, Token};

#[test]
fn cache_id_matches_keystoneauth1() {
    let p = Password::new("http://k", "p")
        .username("u")
        .user_domain_id("default");
    assert_eq!(
        cache_id_from_elements(p.cache_id_elements().unwrap()),
        "pX6+XNBOgwN9BgZ7Is2rhgxnIC5Lbc2anvvk79t46dg="
    );
}

#[test]
fn default_domain_feeds_effective_cache_elements() {
    let a = Password::new("http://k", "p")
        .username("u")
        .default_domain_id("default");
    let e = a.cache_id_elements().unwrap();
    let get = |k: &str| e.iter().find(|(n, _)| n == k).unwrap().1.clone();
    assert_eq!(get("user_domain_id").as_deref(), Some("default"));
    assert_eq!(get("project_domain_id").as_deref(), Some("default"));
    // system_scope is not part of the cache id.
    let b = Token::new("http://k", "t").system_scope("all");
    let c = Token::new("http://k", "t");
    assert_eq!(b.cache_id_elements(), c.cache_id_elements());
}

#[test]
fn debug_redacts() {
    let p = Password::new("http://k", "hunter2").username("u");
    let t = Token::new("http://k", "tok-secret");
    assert!(!format!("{p:?}").contains("hunter2"));
    assert!(!format!("{t:?}").contains("tok-secret"));
}
