//! `ksa config show [--cloud NAME]`: the merged configuration of a cloud as keystoneauth
//! loads it, every secret masked, each value with where it came from, and the files searched
//! and read. Nothing is sent: the plugin is not built and nobody is asked for a password.

use clap::Subcommand;
use keystoneauth::loading::clouds::{FileKind, FileSearch};
use keystoneauth::loading::{CloudConfig, LoadOptions, ValueSource};
use serde_json::{json, Value};

use crate::error::Res;
use crate::output::{print, ListOutput};

/// What a secret is shown as.
const MASK: &str = "***";

/// `ksa config …`
#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    /// The merged configuration of a cloud (secrets masked), where each value came from, and
    /// the files searched and read
    Show {
        /// The cloud (else --os-cloud, OS_CLOUD, the OS_* variables, or the only cloud in
        /// clouds.yaml)
        #[arg(long, value_name = "NAME")]
        cloud: Option<String>,
        #[command(flatten)]
        out: ListOutput,
    },
}

/// Run `ksa config …` with the `--os-*` flags of the command line.
pub fn run(cmd: &ConfigCmd, flags: Vec<(String, String)>) -> Res<()> {
    let ConfigCmd::Show { cloud, out } = cmd;
    let config = CloudConfig::load(LoadOptions {
        cloud: cloud.clone(),
        flags,
        inspect: true,
        ..Default::default()
    })?;
    let rows = rows(&config, out.format.structured());
    print(&out.render(&["Setting", "Value", "Source"], &rows)?)
}

/// Where a value came from, as `ksa` names it: explicit options can only be `--cloud`.
fn source_text(s: &ValueSource) -> String {
    match s {
        ValueSource::Options => "--cloud".to_owned(),
        other => other.to_string(),
    }
}

/// The rows: the cloud, its profile, the auth type, the plugin's options (then the missing and
/// the unused ones), the other settings, the per-service settings, then the files.
fn rows(c: &CloudConfig, structured: bool) -> Vec<Vec<Value>> {
    let r = &c.report;
    let source = |key: &str| -> Value {
        r.sources
            .get(key)
            .map_or(Value::Null, |s| json!(source_text(s)))
    };
    let mut rows = Vec::new();
    let mut row = |setting: String, value: Value, from: Value| {
        rows.push(vec![json!(setting), value, from]);
    };

    match &c.cloud {
        Some(name) => row("cloud".into(), json!(name), source("cloud")),
        None => row(
            "cloud".into(),
            Value::Null,
            json!("none: OS_* variables and --os-* flags only"),
        ),
    }
    if let Some((name, found)) = &c.profile {
        let mut from = source("profile");
        if matches!(
            found,
            keystoneauth::loading::clouds::ProfileSource::NotFound
        ) {
            from = json!(format!(
                "{}; the profile was not found",
                from.as_str().unwrap_or("")
            ));
        }
        row("profile".into(), json!(name), from);
    }
    row("auth_type".into(), json!(c.auth_type), source("auth_type"));

    let mask = |key: &str, v: String| {
        if c.is_secret_option(key) {
            json!(MASK)
        } else {
            json!(v)
        }
    };
    for key in c.auth.keys() {
        let Some(v) = c.auth.get(key) else { continue };
        let setting = format!("auth.{key}");
        let from = source(&setting);
        row(setting, mask(key, v), from);
    }
    for m in &r.missing {
        row(
            format!("auth.{}", m.name.replace('-', "_")),
            Value::Null,
            json!(format!("missing: required (env {})", m.env)),
        );
    }
    for (key, v) in &r.unused_auth {
        let setting = format!("auth.{key}");
        let from = match r.sources.get(&setting) {
            Some(s) => format!(
                "{}; unused: not an option of {}",
                source_text(s),
                c.auth_type
            ),
            None => format!("unused: not an option of {}", c.auth_type),
        };
        row(setting, mask(key, v.clone()), json!(from));
    }
    // The general and the per-service settings hold no secret: they are names, numbers, URLs
    // and file paths (`key` is the client key's file).
    for (key, v) in &r.settings {
        row(key.clone(), json!(v), source(key));
    }
    for (service, o) in &c.services {
        let settings = [
            ("api_version", &o.api_version),
            ("endpoint_override", &o.endpoint_override),
            ("interface", &o.interface),
            ("region_name", &o.region_name),
            ("service_type", &o.service_type),
            ("service_name", &o.service_name),
        ];
        for (name, v) in settings {
            if let Some(v) = v {
                let setting = format!("{service}.{name}");
                let from = source(&setting);
                row(setting, json!(v), from);
            }
        }
    }

    if r.files.is_empty() {
        for kind in [FileKind::Clouds, FileKind::Secure, FileKind::Public] {
            row(
                kind.name().into(),
                Value::Null,
                json!("not read: no cloud was named from a file"),
            );
        }
    }
    for f in &r.files {
        file_rows(f, structured, &mut row);
    }
    rows
}

/// Two rows for a file: the one read (or none), and the paths searched in order.
fn file_rows(f: &FileSearch, structured: bool, row: &mut impl FnMut(String, Value, Value)) {
    match &f.read {
        Some(p) => row(
            f.kind.name().into(),
            json!(p.display().to_string()),
            json!("read"),
        ),
        None => row(f.kind.name().into(), Value::Null, json!("not found")),
    }
    let paths: Vec<String> = f.searched.iter().map(|p| p.display().to_string()).collect();
    let searched = if structured {
        json!(paths)
    } else {
        json!(paths.join("\n"))
    };
    let how = match (f.from_env, f.kind.env_var()) {
        (true, Some(var)) => format!("{var}, then the search path; the first that exists"),
        _ => "the search path; the first that exists".to_owned(),
    };
    row(format!("{} searched", f.kind.name()), searched, json!(how));
}
