//! The options of the `exec` plugin, its registration, and how their text is read.

use std::sync::Arc;
use std::time::Duration;

use keystoneauth_core::registry::{Opt, OptKind, OptionValues};
use keystoneauth_core::secrecy::SecretString;
use keystoneauth_core::{AuthPlugin, Error, Result};
use serde_json::{Map, Value};

use super::{ExecPlugin, MAX_TIMEOUT};

/// The options of the `exec` plugin.
pub fn exec_options() -> Vec<Opt> {
    vec![
        Opt::new(
            "exec-command",
            "The credential command (clouds.yaml: command), run without a shell: a JSON list \
             [\"prog\", \"arg\", ...], or words separated by commas (or, with no comma, by spaces)",
        )
        .with_dest("command")
        .required()
        .kind(OptKind::List),
        Opt::new(
            "exec-timeout",
            "Seconds the credential command may run before it is killed (clouds.yaml: timeout; \
             default 60)",
        )
        .with_dest("timeout")
        .kind(OptKind::Float),
        Opt::new(
            "exec-env",
            "Variables for the credential command (clouds.yaml: env): a JSON object, or \
             NAME=value items separated by commas",
        )
        .with_dest("env")
        .secret(),
        Opt::new(
            "auth-url",
            "Authentication URL: where a printed token's catalog is read, and the default \
             auth_url of the plugin the command names",
        ),
    ]
}

fn create_exec(values: &OptionValues) -> Result<Arc<dyn AuthPlugin>> {
    Ok(Arc::new(ExecPlugin::from_options(values)?))
}

keystoneauth_core::register_plugin! {
    name: "exec",
    description: "Run a credential command (a secret manager) and use the token or the \
                      plugin options it prints",
    options: exec_options,
    create: create_exec,
}

/// Parse `command` as text: a JSON list of strings; otherwise words separated by commas, or
/// by white space when there is no comma. No quoting, no shell.
///
/// ```
/// use keystoneauth_loading::exec::parse_command;
/// let want = vec!["pass", "show", "openstack/x"];
/// assert_eq!(parse_command(r#"["pass", "show", "openstack/x"]"#).unwrap(), want);
/// assert_eq!(parse_command("pass,show,openstack/x").unwrap(), want);
/// assert_eq!(parse_command("pass show  openstack/x").unwrap(), want);
/// assert_eq!(parse_command(r#"["sh", "-c", "a, b"]"#).unwrap()[2], "a, b");
/// assert!(parse_command("").is_err());
/// ```
pub fn parse_command(text: &str) -> Result<Vec<String>> {
    let t = text.trim();
    let argv: Vec<String> = if t.starts_with('[') {
        serde_json::from_str::<Vec<String>>(t).map_err(|e| {
            Error::OptionError(format!(
                "exec: command starts with [ but is not a JSON list of strings ({e})"
            ))
        })?
    } else if t.contains(',') {
        t.split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    } else {
        t.split_whitespace().map(str::to_owned).collect()
    };
    match argv.first() {
        Some(p) if !p.is_empty() => Ok(argv),
        _ => Err(Error::OptionError(
            "exec: command is empty; give the program and its arguments, e.g. \
             [\"pass\", \"show\", \"openstack/mycloud\"]"
                .into(),
        )),
    }
}

/// Parse `env` as text: a JSON object of strings, or `NAME=value` items (a JSON list, or
/// separated by commas).
pub(super) fn parse_env(text: &str) -> Result<Vec<(String, SecretString)>> {
    let t = text.trim();
    let bad = |why: String| Error::OptionError(format!("exec: env {why}"));
    let pairs: Vec<(String, String)> = if t.starts_with('{') {
        let map: Map<String, Value> = serde_json::from_str(t)
            .map_err(|e| bad(format!("starts with {{ but is not a JSON object ({e})")))?;
        map.into_iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k, s)),
                Value::Number(n) => Ok((k, n.to_string())),
                Value::Bool(b) => Ok((k, b.to_string())),
                _ => Err(bad(format!("variable {k} must be a string"))),
            })
            .collect::<Result<_>>()?
    } else {
        let items: Vec<String> = if t.starts_with('[') {
            serde_json::from_str(t).map_err(|e| {
                bad(format!(
                    "starts with [ but is not a JSON list of strings ({e})"
                ))
            })?
        } else {
            t.split(',').map(str::to_owned).collect()
        };
        items
            .into_iter()
            .map(|i| i.trim().to_owned())
            .filter(|i| !i.is_empty())
            .enumerate()
            .map(|(n, i)| match i.split_once('=') {
                Some((k, v)) => Ok((k.trim().to_owned(), v.to_owned())),
                // The item is not quoted: it may be a value.
                None => Err(bad(format!("item {} is not NAME=value", n + 1))),
            })
            .collect::<Result<_>>()?
    };
    pairs
        .into_iter()
        .map(|(k, v)| {
            if k.is_empty() || k.contains(['=', '\0']) {
                Err(bad(format!("has an invalid variable name {k:?}")))
            } else if v.contains('\0') {
                Err(bad(format!("variable {k} holds a NUL character")))
            } else {
                Ok((k, SecretString::from(v)))
            }
        })
        .collect()
}

pub(super) fn parse_timeout(text: &str) -> Result<Duration> {
    let secs: f64 = text.trim().parse().map_err(|_| {
        Error::OptionError(format!(
            "exec: timeout must be a number of seconds, got {text:?}"
        ))
    })?;
    if !(secs > 0.0 && secs <= MAX_TIMEOUT.as_secs_f64()) {
        return Err(Error::OptionError(format!(
            "exec: timeout must be more than 0 and at most {} seconds, got {text:?}",
            MAX_TIMEOUT.as_secs()
        )));
    }
    Ok(Duration::from_secs_f64(secs))
}
