//! Parsing: locations, limits, anchors and merge keys, scalars and keys.

use super::*;

#[test]
fn bad_yaml_has_location() {
    let e = parse_yaml(Path::new("/x/clouds.yaml"), "clouds:\n  a: [1, 2\n  b: c\n")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("/x/clouds.yaml:"), "{e}");
    let parts: Vec<&str> = e.splitn(4, ':').collect();
    assert!(parts[1].parse::<usize>().is_ok(), "{e}");
    assert!(parts[2].parse::<usize>().is_ok(), "{e}");
}

#[test]
fn deep_nesting_is_refused_quickly() {
    // 200 KB of `[` took serde_yaml 24-40 s; the parser stops at the depth limit.
    for open in ["[", "{", "a: ["] {
        let text = open.repeat(200_000);
        let t = std::time::Instant::now();
        let e = yaml_err(&text);
        let took = t.elapsed();
        eprintln!("{open:?} x 200000: refused in {took:?}: {e}");
        assert!(took < std::time::Duration::from_secs(1), "{took:?}");
        assert!(e.contains("nested deeper than 64 levels"), "{e}");
        assert_located(&e);
    }
    // Block mappings and sequences, one level per line.
    let block: String = (0..100).map(|i| format!("{}a:\n", " ".repeat(i))).collect();
    let e = yaml_err(&block);
    assert!(e.contains("nested deeper than 64 levels"), "{e}");
    assert!(e.starts_with("/t/clouds.yaml:65:"), "{e}");
    let e = yaml_err(&"- ".repeat(100_000));
    assert!(e.contains("nested deeper than 64 levels"), "{e}");
    // 64 levels are fine.
    let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
    assert!(parse_yaml(Path::new("x"), &ok).is_ok());
    let e = yaml_err(&format!("{}{}", "[".repeat(65), "]".repeat(65)));
    assert!(e.contains("nested deeper than 64 levels"), "{e}");
}

#[test]
fn billion_laughs_is_refused() {
    let mut text = String::from("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for (prev, name) in ["a", "b", "c", "d", "e", "f", "g", "h"]
        .iter()
        .zip(["b", "c", "d", "e", "f", "g", "h", "i"])
    {
        let refs = vec![format!("*{prev}"); 9].join(", ");
        text.push_str(&format!("{name}: &{name} [{refs}]\n"));
    }
    text.push_str("clouds: {c: {auth: {auth_url: *i}}}\n");
    let t = std::time::Instant::now();
    let e = yaml_err(&text);
    let took = t.elapsed();
    eprintln!("billion laughs: refused in {took:?}: {e}");
    assert!(took < std::time::Duration::from_secs(2), "{took:?}");
    assert!(
        e.contains("anchors and aliases expand beyond the limits"),
        "{e}"
    );
    assert_located(&e);

    // One long scalar, aliased many times: bounded by the 10 MiB of text.
    let mut text = format!("a: &a {}\nb: [", "x".repeat(1 << 20));
    text.push_str(&"*a, ".repeat(500));
    text.push_str("]\n");
    let e = yaml_err(&text);
    assert!(
        e.contains("anchors and aliases expand beyond the limits"),
        "{e}"
    );
}

#[test]
fn too_many_nodes_are_refused() {
    let text = format!("[{}]", vec!["a"; MAX_NODES].join(","));
    let t = std::time::Instant::now();
    let e = yaml_err(&text);
    eprintln!("{MAX_NODES} scalars: refused in {:?}: {e}", t.elapsed());
    assert!(e.contains("more than 100000 nodes"), "{e}");
    assert_located(&e);
}

#[test]
fn oversized_text_is_refused_before_parsing() {
    let limit = usize::try_from(MAX_FILE_BYTES).unwrap();
    // Not even YAML: the size is checked first.
    let text = "[".repeat(limit);
    let e = yaml_err(&text);
    assert_eq!(
        e, "/t/clouds.yaml is 10485760 bytes; the limit is 10 MiB",
        "{e}"
    );
    // One byte under the limit is parsed.
    let text = format!("# {}\n", "x".repeat(limit - 4));
    assert_eq!(text.len(), limit - 1);
    assert_eq!(parse_yaml(Path::new("x"), &text).unwrap(), Value::Null);
}

#[test]
fn oversized_files_are_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    let clouds = dir.path().join("clouds.yaml");
    // Sparse: 10 MiB of NULs that are never read.
    std::fs::File::create(&clouds)
        .unwrap()
        .set_len(MAX_FILE_BYTES)
        .unwrap();
    let e =
        CloudsFile::load(&Env::default(), Some(std::slice::from_ref(&clouds)), None).unwrap_err();
    assert!(matches!(e, Error::Config(_)), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!(
            "{} is 10485760 bytes; the limit is 10 MiB",
            clouds.display()
        )
    );
    // secure.yaml and clouds-public.yaml too.
    std::fs::write(&clouds, "clouds: {c: {auth: {auth_url: x}}}\n").unwrap();
    for name in ["secure.yaml", "clouds-public.yaml"] {
        let other = dir.path().join(name);
        std::fs::File::create(&other)
            .unwrap()
            .set_len(MAX_FILE_BYTES + 1)
            .unwrap();
        let e = in_dir(dir.path()).unwrap_err().to_string();
        assert_eq!(
            e,
            format!("{} is 10485761 bytes; the limit is 10 MiB", other.display())
        );
        std::fs::remove_file(&other).unwrap();
    }
    assert!(in_dir(dir.path()).is_ok());
}

#[test]
fn anchors_aliases_and_merge_keys() {
    // As PyYAML (openstacksdk) reads it: `<<` merges, the mapping's own keys win.
    let text = "\
defaults: &defaults
  region_name: R1
  interface: internal
  auth: &auth
    auth_url: http://k/v3
    user_domain_name: Default
extra: &extra
  api_timeout: 30
  region_name: R-extra
clouds:
  a:
    <<: *defaults
    region_name: R2
  b:
    <<: [*defaults, *extra]
    auth:
      <<: *auth
      username: u
      password: p
  c:
    auth: *auth
    verify: false
";
    let a = flat(text, "a");
    assert_eq!(a.settings["region_name"], "R2");
    assert_eq!(a.settings["interface"], "internal");
    assert_eq!(a.auth["auth_url"], "http://k/v3");
    let b = flat(text, "b");
    // The first mapping in the merge list wins (YAML 1.1 merge rules).
    assert_eq!(b.settings["region_name"], "R1");
    assert_eq!(b.settings["api_timeout"], "30");
    assert_eq!(b.auth["auth_url"], "http://k/v3");
    assert_eq!(b.auth["user_domain_name"], "Default");
    assert_eq!(b.auth["username"], "u");
    let c = flat(text, "c");
    assert_eq!(c.auth["auth_url"], "http://k/v3");
    assert_eq!(c.settings["verify"], "false");

    // One anchor used by many clouds is normal (no alias/anchor ratio limit).
    let mut many = String::from("base: &base {auth: {auth_url: http://k/v3}}\nclouds:\n");
    for i in 0..500 {
        many.push_str(&format!("  c{i}: {{<<: *base, region_name: R{i}}}\n"));
    }
    let f = CloudsFile {
        doc: yaml(&many),
        ..Default::default()
    };
    assert_eq!(f.cloud_names().len(), 500);
    assert_eq!(f.cloud("c499").unwrap().auth["auth_url"], "http://k/v3");
}

#[test]
fn scalars_as_the_loader_reads_them() {
    let c = flat(
        "\
clouds:
  c:
    verify: False
    insecure: no
    interface: public
    region_name: RegionOne
    api_timeout: 30
    identity_api_version: 3
    compute_api_version: '2.1'
    cacert: ~
    auth:
      auth_url: http://k/v3
      project_id: 12345
      domain_id: 0123
      user_id: 1_000
      project_name: '12345'
      username: yes
      password: on
",
        "c",
    );
    assert_eq!(c.settings["verify"], "false");
    // `no`/`yes`/`on` are text here; the option parsers read them as booleans.
    assert_eq!(c.settings["insecure"], "no");
    assert_eq!(c.settings["interface"], "public");
    assert_eq!(c.settings["region_name"], "RegionOne");
    assert_eq!(c.settings["api_timeout"], "30");
    assert_eq!(c.settings["identity_api_version"], "3");
    assert_eq!(c.settings["compute_api_version"], "2.1");
    assert!(!c.settings.contains_key("cacert"));
    assert_eq!(c.auth["project_id"], "12345");
    assert_eq!(c.auth["domain_id"], "0123");
    assert_eq!(c.auth["user_id"], "1_000");
    assert_eq!(c.auth["project_name"], "12345");
    assert_eq!(c.auth["username"], "yes");
    assert_eq!(c.auth["password"], "on");
    for (text, want) in [
        ("verify: false", "false"),
        ("verify: False", "false"),
        ("verify: FALSE", "false"),
        ("verify: true", "true"),
        ("verify: 'False'", "False"),
        ("verify: /etc/ca.pem", "/etc/ca.pem"),
        ("api_timeout: 2.5", "2.5"),
        ("api_timeout: 30.0", "30.0"),
    ] {
        let c = flat(&format!("clouds:\n  c:\n    {text}\n"), "c");
        let (key, _) = text.split_once(':').unwrap();
        assert_eq!(c.settings[key], want, "{text}");
    }
}

#[test]
fn keys_must_be_strings() {
    // Numbers and booleans as keys are read as their text (a cloud named 123).
    let f = CloudsFile {
        doc: yaml("clouds:\n  123: {auth: {auth_url: x}}\n  true: {}\n"),
        ..Default::default()
    };
    assert_eq!(f.cloud_names(), ["123", "true"]);
    assert_eq!(f.cloud("123").unwrap().auth["auth_url"], "x");
    // Null, sequence and mapping keys are an error naming the file, not a panic.
    for text in [
        "clouds:\n  ~: {}\n",
        "clouds:\n  ? [a, b]\n  : {}\n",
        "clouds: {{a: 1}: x}\n",
    ] {
        let e = yaml_err(text);
        assert!(e.contains("mapping keys must be strings"), "{e}");
        assert_located(&e);
    }
}

#[test]
fn errors_name_the_place_but_quote_no_secret() {
    let e = yaml_err("clouds:\n  c:\n    auth:\n      password: 'hunter2\n");
    assert_located(&e);
    assert!(!e.contains("hunter2"), "{e}");
    let e = yaml_err("clouds:\n  c:\n    auth: {password: hunter2, password: hunter3}\n");
    assert!(e.contains("duplicate"), "{e}");
    assert!(!e.contains("hunter"), "{e}");
    let e = yaml_err("clouds: {}\n---\nclouds: {}\n");
    assert!(e.contains("more than one YAML document"), "{e}");
    assert_located(&e);
}
