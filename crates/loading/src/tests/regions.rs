//! `regions:` in clouds.yaml and in vendor profiles.

use super::*;

const REGIONS: &str = "\
clouds:
  listed:
    auth_type: t-password
    auth: {auth_url: 'http://k/v3', username: u, password: p}
    interface: public
    regions: [R1, R2]
  valued:
    auth_type: t-password
    auth: {auth_url: 'http://k/v3', username: u, password: p}
    interface: public
    regions:
      - name: R1
      - name: R2
        values:
          interface: internal
          compute_api_version: '2.95'
          auth: {auth_url: 'http://k2/v3'}
  comma:
    auth_type: t-password
    auth: {auth_url: 'http://k/v3', username: u, password: p}
    region_name: C1,C2
  vendor:
    profile: zetta
    auth: {username: u, password: p}
  bad:
    auth_type: t-password
    auth: {auth_url: 'http://k/v3', username: u, password: p}
    regions: [{name: R1, value: {}}]
";

fn load_region(
    cloud: &str,
    env_pairs: &[(&str, &str)],
    flag_pairs: &[(&str, &str)],
) -> Result<CloudConfig> {
    let files = Files::new(REGIONS);
    CloudConfig::load(LoadOptions {
        cloud: Some(cloud.into()),
        config_files: files.list(),
        env: env(env_pairs),
        flags: flags(flag_pairs),
        ..Default::default()
    })
}

#[test]
fn regions_list_the_first_is_the_default() {
    let c = load_region("listed", &[], &[]).unwrap();
    assert_eq!(c.region_name.as_deref(), Some("R1"));
    let c = load_region("listed", &[("OS_REGION_NAME", "R2")], &[]).unwrap();
    assert_eq!(c.region_name.as_deref(), Some("R2"));
    let c = load_region(
        "listed",
        &[("OS_REGION_NAME", "R2")],
        &[("--os-region-name", "R1")],
    )
    .unwrap();
    assert_eq!(c.region_name.as_deref(), Some("R1"));
    let e = load_region("listed", &[], &[("--os-region-name", "R3")]).unwrap_err();
    assert!(
        e.to_string().contains(
            "Region R3 is not a valid region name for cloud listed. Valid choices are R1,R2. \
             Please note that region names are case sensitive."
        ),
        "{e}"
    );
    // A comma-separated region_name is a list too (deprecated).
    let c = load_region("comma", &[], &[]).unwrap();
    assert_eq!(c.region_name.as_deref(), Some("C1"));
    let c = load_region("comma", &[("OS_REGION_NAME", "C2")], &[]).unwrap();
    assert_eq!(c.region_name.as_deref(), Some("C2"));
}

#[test]
fn region_values_apply_in_their_region_only() {
    let c = load_region("valued", &[], &[]).unwrap();
    assert_eq!(c.region_name.as_deref(), Some("R1"));
    assert_eq!(c.interfaces, vec![Interface::Public]);
    assert_eq!(c.auth.get("auth_url").as_deref(), Some("http://k/v3"));
    assert_eq!(c.service("compute").api_version, None);
    let c = load_region("valued", &[("OS_REGION_NAME", "R2")], &[]).unwrap();
    assert_eq!(c.region_name.as_deref(), Some("R2"));
    assert_eq!(c.interfaces, vec![Interface::Internal]);
    // Region values merge into auth key by key.
    assert_eq!(c.auth.get("auth_url").as_deref(), Some("http://k2/v3"));
    assert_eq!(c.auth.get("username").as_deref(), Some("u"));
    assert_eq!(c.service("compute").api_version.as_deref(), Some("2.95"));
    // Flags still win over region values.
    let c = load_region(
        "valued",
        &[("OS_REGION_NAME", "R2")],
        &[("--os-interface", "admin")],
    )
    .unwrap();
    assert_eq!(c.interfaces, vec![Interface::Admin]);

    let e = load_region("bad", &[], &[]).unwrap_err();
    assert!(matches!(e, Error::Config(_)), "{e:?}");
    assert!(e.to_string().contains("invalid region entry"), "{e}");
}

#[test]
fn regions_of_a_vendor_profile() {
    // zetta's profile: regions [no-osl1].
    let c = load_region("vendor", &[], &[]).unwrap();
    assert_eq!(c.region_name.as_deref(), Some("no-osl1"));
    assert_eq!(
        c.auth.get("auth_url").as_deref(),
        Some("https://identity.api.zetta.io/v3")
    );
    let e = load_region("vendor", &[("OS_REGION_NAME", "RegionOne")], &[]).unwrap_err();
    assert!(e.to_string().contains("Valid choices are no-osl1."), "{e}");
}
