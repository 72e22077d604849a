//! Profiles: built-in, from clouds-public.yaml, and URL profiles offline.

use super::*;

#[test]
fn builtin_profiles_apply_and_unknown_ones_are_skipped() {
    let doc = yaml(
            "clouds:\n  el:\n    profile: elastx\n    auth: {username: u}\n  old:\n    cloud: elastx\n    region_name: mine\n  unknown:\n    profile: no-such-vendor\n    auth: {auth_url: 'http://k/v3'}\n  gone:\n    profile: betacloud\n  going:\n    profile: fuga\n",
        );
    let f = CloudsFile {
        doc,
        offline: true,
        ..Default::default()
    };
    let el = f.cloud("el").unwrap();
    assert_eq!(el.auth["auth_url"], "https://ops.elastx.cloud:5000/v3");
    assert_eq!(el.auth["username"], "u");
    assert_eq!(el.settings["region_name"], "se-sto");
    assert_eq!(el.settings["identity_api_version"], "3");
    assert_eq!(
        f.resolve("el").unwrap().profile_source,
        Some(ProfileSource::Builtin)
    );
    // The older `cloud:` key; the cloud's own settings win.
    let old = f.cloud("old").unwrap();
    assert_eq!(old.settings["region_name"], "mine");
    assert_eq!(old.auth["auth_url"], "https://ops.elastx.cloud:5000/v3");
    assert!(!old.settings.contains_key("cloud"));
    // A profile found nowhere: a warning, and the cloud's own settings.
    let r = f.resolve("unknown").unwrap();
    assert_eq!(r.profile_source, Some(ProfileSource::NotFound));
    assert_eq!(r.flatten().auth["auth_url"], "http://k/v3");
    // status: shutdown is an error; deprecated loads (with a warning).
    let e = f.cloud("gone").unwrap_err().to_string();
    assert_eq!(
        e,
        "betacloud references a cloud that no longer exists: betacloud.de has ceased business"
    );
    let going = f.cloud("going").unwrap();
    assert_eq!(going.auth["auth_url"], "https://identity.api.fuga.io:5000");
    assert!(!going.settings.contains_key("status"));
    assert!(!going.settings.contains_key("message"));
}

#[test]
fn public_file_profiles_win_over_builtin_ones() {
    let f = CloudsFile {
            doc: yaml("clouds:\n  c:\n    profile: elastx\n    auth: {username: u}\n"),
            public: yaml(
                "public-clouds:\n  elastx:\n    auth: {auth_url: 'http://local/v3'}\n    status: shutdown\n",
            ),
            public_path: Some(PathBuf::from("/p/clouds-public.yaml")),
            offline: true,
            ..Default::default()
        };
    let r = f.resolve("c").unwrap();
    assert_eq!(
        r.profile_source,
        Some(ProfileSource::PublicFile("/p/clouds-public.yaml".into()))
    );
    let c = r.flatten();
    // Only clouds-public.yaml's profile, not merged with the built-in one; and its
    // `status` is not looked at (as in openstacksdk).
    assert_eq!(c.auth["auth_url"], "http://local/v3");
    assert!(!c.settings.contains_key("region_name"));
    assert_eq!(c.settings["status"], "shutdown");
}

#[test]
fn url_profiles_are_not_fetched_offline() {
    let f = CloudsFile {
        doc: yaml(
            "clouds:\n  v:\n    profile: vexxhost\n  u:\n    profile: 'https://example.com'\n",
        ),
        offline: true,
        ..Default::default()
    };
    for (cloud, url) in [
        ("v", "https://vexxhost.com/.well-known/openstack/api"),
        ("u", "https://example.com/.well-known/openstack/api"),
    ] {
        let e = f.cloud(cloud).unwrap_err().to_string();
        assert!(
            e.contains(url) && e.contains("fetching is turned off"),
            "{e}"
        );
    }
}
