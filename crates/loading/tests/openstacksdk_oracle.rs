//! The clouds.yaml corpus, loaded by keystoneauth-loading and by openstacksdk: the merged
//! auth and region configuration must be the same.
//!
//! The corpus is `tests/data/openstacksdk/<case>/`: a `case.json` (`about`: what the case
//! checks; `env`; `region`: the region asked for; `error`: a part of ksa's error when both must
//! fail; `openstacksdk_error`, `expect` and `why` when only openstacksdk fails, on purpose:
//! what ksa has instead, and why) and the files of a home directory
//! (`home/.config/openstack/clouds.yaml`, `secure.yaml`, `clouds-public.yaml`) and of other
//! places (`elsewhere/`). Each case is copied to a temporary directory, `$CASE` in its
//! environment and `$URL` in its files are replaced (by the copy's path and by a loopback server
//! that serves a `.well-known/openstack/api` document), and `HOME` is its `home/`. Every
//! built-in vendor profile is a case too (`vendor-<name>`, and `vendor-<name>-<region>` for
//! its last region), except the URL profiles `vexxhost` and `ovh`, whose documents are on the
//! internet: the `url-profile-loopback` case covers URL profiles.
//!
//! openstacksdk runs in one Python process (`tests/openstacksdk_oracle.py`) named by
//! `KSA_OPENSTACKSDK_PYTHON` (`cargo xtask test` sets it to the oracle venv,
//! `target/ksa-harness/oracle-venv`, with openstacksdk 4.22.0 and keystoneauth1 5.18.1). It is
//! asked as python-openstackclient asks it: `get_one(region_name=--os-region-name)`; ksa gets
//! the same environment and `--os-region-name`.
//!
//! Compared: auth_type, the auth options of that plugin, region_name, interface,
//! identity_api_version, api_timeout, verify and cert (as the HTTP client gets them), and for
//! each service of [`SERVICES`] the api_version, endpoint_override, interface, region_name,
//! service_type and service_name settings. A case with an expected error must fail in both.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

// The plugins, by keystoneauth1 name.
use keystoneauth_generic as _;
use keystoneauth_identity_v2 as _;
use keystoneauth_identity_v3 as _;
use keystoneauth_standalone as _;

use keystoneauth_core::Verify;
use keystoneauth_loading::{vendors, CloudConfig, LoadOptions};
use serde_json::{json, Map, Value};

/// The services whose settings are compared.
const SERVICES: &[&str] = &[
    "compute",
    "block-storage",
    "volume",
    "image",
    "network",
    "identity",
    "object-store",
    "dns",
    "database",
];

/// The `.well-known/openstack/api` document of the loopback URL profile.
const WELL_KNOWN: &str = r#"{"name": "loopcloud", "profile": {"auth": {"auth_url": "https://keystone.loop.test/v3", "user_domain_name": "LoopUsers", "project_domain_name": "LoopUsers"}, "regions": ["loop-1", "loop-2"], "identity_api_version": "3", "interface": "internal", "compute_api_version": "2.1"}}"#;

struct Case {
    name: String,
    dir: PathBuf,
    env: HashMap<String, String>,
    region: Option<String>,
    /// A part of ksa's error, when both must fail.
    error: Option<String>,
    /// A part of openstacksdk's error, when only openstacksdk fails (on purpose)…
    openstacksdk_error: Option<String>,
    /// …and then what ksa has: `{field: value}`.
    expect: Map<String, Value>,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/openstacksdk")
}

/// Copy `from` into `to`, `$URL` replaced by `url` in every file.
fn copy_tree(from: &Path, to: &Path, url: &str) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target, url);
        } else {
            let text = std::fs::read_to_string(entry.path()).unwrap();
            std::fs::write(target, text.replace("$URL", url)).unwrap();
        }
    }
}

fn case_in(root: &Path, name: &str, meta: &Value, url: &str) -> Case {
    let dir = root.join(name);
    let home = dir.join("home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(dir.join("cwd")).unwrap();
    let mut env: HashMap<String, String> = meta["env"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let v = v.as_str().unwrap();
                    let v = v.replace("$CASE", &dir.display().to_string());
                    (k.clone(), v.replace("$URL", url))
                })
                .collect()
        })
        .unwrap_or_default();
    env.insert("HOME".into(), home.display().to_string());
    Case {
        name: name.to_owned(),
        dir,
        env,
        region: meta["region"].as_str().map(str::to_owned),
        error: meta["error"].as_str().map(str::to_owned),
        openstacksdk_error: meta["openstacksdk_error"].as_str().map(str::to_owned),
        expect: meta["expect"].as_object().cloned().unwrap_or_default(),
    }
}

/// The cases of the corpus directory, then one or two per built-in vendor profile.
fn corpus(root: &Path, url: &str) -> Vec<Case> {
    let mut names: Vec<String> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut cases = Vec::new();
    for name in names {
        copy_tree(&corpus_dir().join(&name), &root.join(&name), url);
        let meta: Value = serde_json::from_str(
            &std::fs::read_to_string(root.join(&name).join("case.json")).unwrap(),
        )
        .unwrap_or_else(|e| panic!("{name}/case.json: {e}"));
        cases.push(case_in(root, &name, &meta, url));
    }
    for vendor in vendors::names() {
        let profile = vendors::builtin(vendor).unwrap();
        if profile.contains_key("profile") {
            // vexxhost, ovh: their profile is a document on the internet.
            continue;
        }
        let name = format!("vendor-{vendor}");
        let openstack = root.join(&name).join("home/.config/openstack");
        std::fs::create_dir_all(&openstack).unwrap();
        // A profile without an auth URL (bluebox) gets one from the cloud.
        let own_url = if profile
            .get("auth")
            .and_then(|a| a.get("auth_url"))
            .is_some_and(Value::is_string)
        {
            ""
        } else {
            "      auth_url: https://keystone.example.com/v3\n"
        };
        std::fs::write(
            openstack.join("clouds.yaml"),
            format!(
                "clouds:\n  v:\n    profile: {vendor}\n    auth:\n{own_url}      username: demo\n      password: secret\n      project_name: demo\n"
            ),
        )
        .unwrap();
        let error = (profile.get("status").and_then(Value::as_str) == Some("shutdown"))
            .then_some("references a cloud that no longer exists");
        let meta = json!({"env": {"OS_CLOUD": "v"}, "error": error});
        cases.push(case_in(root, &name, &meta, url));
        // Its last region, when it has several.
        let regions: Vec<String> = profile
            .get("regions")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|r| r.as_str().or_else(|| r["name"].as_str()))
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        if let (true, Some(last)) = (regions.len() > 1 && error.is_none(), regions.last()) {
            let mut meta = meta.clone();
            meta["region"] = json!(last);
            let region_case = format!("{name}-{last}");
            copy_tree(&root.join(&name), &root.join(&region_case), url);
            cases.push(case_in(root, &region_case, &meta, url));
        }
    }
    cases
}

/// The merged configuration as keystoneauth-loading has it, in the oracle's shape.
fn ksa(case: &Case) -> Value {
    let flags = case
        .region
        .iter()
        .map(|r| ("--os-region-name".to_owned(), r.clone()))
        .collect();
    let c = match CloudConfig::load(LoadOptions {
        env: Some(case.env.clone()),
        flags,
        ..Default::default()
    }) {
        Ok(c) => c,
        Err(e) => return json!({ "error": e.to_string() }),
    };
    let auth: Map<String, Value> = c
        .auth
        .keys()
        .map(|k| (k.to_owned(), json!(c.auth.get(k))))
        .collect();
    let verify = match &c.session.verify {
        Verify::Insecure => json!(false),
        Verify::CaBundle(p) => json!(p.display().to_string()),
        _ => json!(true),
    };
    let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
    let cert = match (path(&c.session.cert), path(&c.session.key)) {
        (Some(c), Some(k)) => json!([c, k]),
        (c, _) => json!(c),
    };
    let services: Map<String, Value> = SERVICES
        .iter()
        .map(|s| {
            let o = c.service(s);
            (
                (*s).to_owned(),
                json!({
                    "api_version": o.api_version,
                    "endpoint_override": o.endpoint_override,
                    "interface": o.interface,
                    "region_name": o.region_name,
                    "service_type": o.service_type,
                    "service_name": o.service_name,
                }),
            )
        })
        .collect();
    json!({
        "auth_type": c.auth_type,
        "auth": auth,
        "region_name": c.region_name,
        "interface": c.interfaces.first().map_or("public", |i| i.as_str()),
        "identity_api_version": c.identity_api_version,
        "api_timeout": c.session.request.timeout.map(|t| t.as_secs_f64()),
        "verify": verify,
        "cert": cert,
        "services": services,
    })
}

/// The same from openstacksdk, for every case at once.
fn openstacksdk(python: &str, cases: &[Case]) -> Vec<Value> {
    let input: Vec<Value> = cases
        .iter()
        .map(|c| {
            json!({
                "env": c.env,
                "cwd": c.dir.join("cwd"),
                "region": c.region,
                "services": SERVICES,
            })
        })
        .collect();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/openstacksdk_oracle.py");
    let mut child = Command::new(python)
        .arg(script)
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&input).unwrap().as_bytes())
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        stdout.read_to_string(&mut out).unwrap();
        out
    });
    let deadline = Instant::now() + Duration::from_secs(180);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("openstacksdk took more than 180 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = reader.join().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(status.success(), "the oracle failed ({status}): {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("oracle output: {e}: {out}\n{err}"))
}

/// A loopback HTTP server answering `GET /.well-known/openstack/api` with [`WELL_KNOWN`], for
/// at most 200 connections or 5 minutes.
fn serve_well_known() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(300);
        let mut served = 0;
        while served < 200 && Instant::now() < deadline {
            let Ok((mut conn, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(10));
                continue;
            };
            served += 1;
            conn.set_nonblocking(false).unwrap();
            conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let mut req = Vec::new();
            let mut buf = [0u8; 4096];
            while !req.windows(4).any(|w| w == b"\r\n\r\n") && req.len() < 65536 {
                match conn.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => req.extend_from_slice(&buf[..n]),
                }
            }
            let (status, body) = if req.starts_with(b"GET /.well-known/openstack/api ") {
                ("200 OK", WELL_KNOWN)
            } else {
                ("404 Not Found", "{}")
            };
            let _ = write!(
                conn,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

enum Outcome {
    Same,
    BothFail,
    Documented,
}

/// What the case expects of the two results, and what is not so.
fn compare(case: &Case, ours: &Value, theirs: &Value) -> (Outcome, Vec<String>) {
    let mut problems = Vec::new();
    if let Some(want) = &case.openstacksdk_error {
        if !theirs["error"]
            .as_str()
            .unwrap_or_default()
            .contains(want.as_str())
        {
            problems.push(format!("openstacksdk should fail with {want:?}: {theirs}"));
        }
        for (field, value) in &case.expect {
            if ours[field] != *value {
                problems.push(format!("{field}: ksa {} expected {value}", ours[field]));
            }
        }
        return (Outcome::Documented, problems);
    }
    match (&case.error, ours.get("error"), theirs.get("error")) {
        (Some(want), Some(e), Some(_)) => {
            if !e.as_str().unwrap_or_default().contains(want.as_str()) {
                problems.push(format!("ksa's error {e} does not contain {want:?}"));
            }
        }
        (Some(_), _, _) | (None, Some(_), _) | (None, _, Some(_)) => problems.push(format!(
            "errors: expected {:?}, ksa {} openstacksdk {}",
            case.error, ours["error"], theirs["error"]
        )),
        (None, None, None) => {
            for (field, value) in theirs.as_object().unwrap() {
                if field == "services" {
                    for s in SERVICES {
                        for (k, v) in value[s].as_object().unwrap() {
                            if ours[field][s][k] != *v {
                                problems.push(format!(
                                    "{s} {k}: ksa {} openstacksdk {v}",
                                    ours[field][s][k]
                                ));
                            }
                        }
                    }
                } else if ours[field] != *value {
                    problems.push(format!("{field}: ksa {} openstacksdk {value}", ours[field]));
                }
            }
            return (Outcome::Same, problems);
        }
    }
    (Outcome::BothFail, problems)
}

#[test]
#[ignore = "needs KSA_OPENSTACKSDK_PYTHON: a Python with openstacksdk (cargo xtask test sets it)"]
fn clouds_yaml_corpus_matches_openstacksdk() {
    let python = std::env::var("KSA_OPENSTACKSDK_PYTHON").expect("KSA_OPENSTACKSDK_PYTHON");
    let url = serve_well_known();
    let root = tempfile::tempdir().unwrap();
    let cases = corpus(root.path(), &url);
    let t = Instant::now();
    let theirs = openstacksdk(&python, &cases);
    let took_sdk = t.elapsed();
    assert_eq!(theirs.len(), cases.len());
    let mut failures = Vec::new();
    let (mut same, mut errors, mut documented) = (0, 0, 0);
    // KSA_ORACLE_SHOW=<case> prints both results of that case.
    let show = std::env::var("KSA_ORACLE_SHOW").unwrap_or_default();
    for (case, theirs) in cases.iter().zip(&theirs) {
        let ours = ksa(case);
        if case.name == show {
            eprintln!(
                "{}:\n  ksa:          {ours}\n  openstacksdk: {theirs}",
                case.name
            );
        }
        let (outcome, problems) = compare(case, &ours, theirs);
        match outcome {
            Outcome::Same => same += 1,
            Outcome::BothFail => errors += 1,
            Outcome::Documented => documented += 1,
        }
        if !problems.is_empty() {
            failures.push(format!("{}: {}", case.name, problems.join("; ")));
        }
    }
    eprintln!(
        "{} cases: {same} loaded by both, {errors} refused by both, {documented} with documented \
         differences; openstacksdk took {took_sdk:?}",
        cases.len()
    );
    assert!(cases.len() >= 25, "{}", cases.len());
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
