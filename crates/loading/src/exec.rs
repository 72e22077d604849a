//! The `exec` auth plugin: a credential process, as Kubernetes exec credential plugins and
//! AWS `credential_process` are. The credentials come from a command — a secret manager
//! (`pass`, `vault`, `op`, `sops`, …) or a script of your own — instead of a file or a
//! variable.
//!
//! ```yaml
//! clouds:
//!   mycloud:
//!     auth_type: exec
//!     auth:
//!       auth_url: https://keystone.example.com/v3
//!       command: [pass, show, openstack/mycloud]
//!       timeout: 30                   # seconds, default 60
//!       env: {PASSWORD_STORE_DIR: /home/me/.password-store}   # optional
//! ```
//!
//! or `OS_AUTH_TYPE=exec OS_EXEC_COMMAND='["pass","show","openstack/mycloud"]'`
//! (`--os-auth-type exec --os-exec-command …` on the command line).
//!
//! # Options
//!
//! | clouds.yaml `auth:` key | variable / flag | what |
//! |---|---|---|
//! | `command` (required) | `OS_EXEC_COMMAND`, `--os-exec-command` | the program and its arguments |
//! | `timeout` | `OS_EXEC_TIMEOUT`, `--os-exec-timeout` | seconds the command may run (default 60) |
//! | `env` | `OS_EXEC_ENV`, `--os-exec-env` | variables added to the command's environment |
//! | `auth_url` | `OS_AUTH_URL`, `--os-auth-url` | Keystone, see below |
//!
//! `command` is a list. As text (a variable or a flag) it is either a JSON list of strings
//! (`["pass","show","openstack/mycloud"]`: the exact form, for arguments with commas or
//! spaces), or, when it does not start with `[`, words separated by commas (as a YAML list
//! arrives from clouds.yaml: `pass,show,openstack/mycloud`) or, when it has no comma, by white
//! space (`pass show openstack/mycloud`). There is no quoting and no shell: write
//! `[sh, -c, "…"]` to have one. `env` is a mapping (a JSON object as text), or `NAME=value`
//! items (a JSON list or separated by commas).
//!
//! # How the command is run
//!
//! The program is started directly (found in `PATH` unless it contains a `/`), with its
//! arguments, the environment of this process plus `env`, and stdin connected to nothing.
//! Its stderr is this process's stderr, so it can show prompts and messages (it may also open
//! `/dev/tty` to ask for a passphrase, as `gpg` does). Its stdout must be one JSON document
//! of at most 1 MiB ([`MAX_OUTPUT`]). When it runs longer than `timeout`, it is killed
//! (SIGKILL; processes it started itself are not) and authentication fails. The command is
//! run again when its result expires, when Keystone refuses it (401), and never by two tasks
//! at once: concurrent requests wait for the one run in progress and share its result. The
//! variable `KEYSTONEAUTH_EXEC_DEPTH` ([`DEPTH_VAR`]) is set for the command; a command
//! that runs a program that runs the same `exec` plugin again fails at depth 4 instead of
//! looping.
//!
//! # The document (version 1)
//!
//! Every document is a JSON object with `"version": 1`; unknown keys are ignored. It is one
//! of two kinds.
//!
//! **A token** (it has `token`):
//!
//! ```json
//! {
//!   "version": 1,
//!   "token": "gAAAAABl…",
//!   "expires_at": "2026-12-06T18:00:00Z",
//!   "auth_url": "https://keystone.example.com/v3",
//!   "catalog": [{"type": "compute", "endpoints": [{"interface": "public", "region_id": "RegionOne", "url": "https://nova.example.com/v2.1"}]}],
//!   "user_id": "…", "project_id": "…", "project_name": "…",
//!   "project_domain_id": "…", "domain_id": "…"
//! }
//! ```
//!
//! | key | |
//! |---|---|
//! | `token` | required: the Keystone token, sent as `X-Auth-Token` |
//! | `expires_at` | RFC 3339; required unless an auth URL is known |
//! | `auth_url` | the Keystone v3 endpoint (default: the plugin's `auth_url` option) |
//! | `catalog` | a v3 service catalog (the `token.catalog` list of a token body) |
//! | `user_id`, `project_id`, `project_name`, `project_domain_id`, `domain_id` | what the token is for |
//!
//! Without a `catalog` and with an auth URL, the token's own body is read from Keystone
//! (`GET /v3/auth/tokens` with the token as `X-Auth-Token` and `X-Subject-Token`): its
//! catalog, user, scope and expiry are used (the earlier of its expiry and `expires_at`),
//! and the ids above are ignored. Otherwise the document is all there is: a `Session` finds
//! relative URLs in `catalog`, or needs an `endpoint_override`. The token is used until
//! 120 s before it expires (or half of its remaining life, when it has less than 240 s
//! left), then the command runs again; a token that has already expired is an error.
//!
//! **The options of another plugin** (it has `auth_type`):
//!
//! ```json
//! {
//!   "version": 1,
//!   "auth_type": "v3applicationcredential",
//!   "auth": {
//!     "auth_url": "https://keystone.example.com/v3",
//!     "application_credential_id": "…",
//!     "application_credential_secret": "…"
//!   }
//! }
//! ```
//!
//! `auth_type` is any registered plugin but `exec`; `auth` holds its options by their
//! clouds.yaml names (strings, numbers, booleans; lists and mappings as for clouds.yaml).
//! `auth_url`, when missing, is the `exec` plugin's own. That plugin is then used for
//! everything, with its own token cache; the command runs again (once per refusal) only when
//! that plugin's authentication is refused: a 401, or a 404 from `POST /v3/auth/tokens`,
//! which is how Keystone refuses a deleted application credential (a rotated or revoked
//! credential).
//!
//! # Errors
//!
//! All are [`Error`]s: a bad option is an `OptionError`; a program that cannot be started
//! (named in the message), a non-zero exit status, a timeout, output that is too large or is
//! not a valid document are an `AuthorizationFailure` that names the program and the exit
//! status. What the command printed is described, not quoted, when it may hold a secret: a
//! document that parsed but is wrong names the field, and text that is not JSON is shown
//! only in part, with single words and long or secret-looking words hidden. Errors of the
//! named plugin (its missing options, Keystone's answer) are its own.
//!
//! `Debug` shows the program, the number of arguments and the names of the `env` variables,
//! never their values or the token; logs (target `keystoneauth::exec`) show a token only as
//! its `{SHA256}` hash.
//!
//! # Examples
//!
//! **pass**: keep the whole document in the password store
//! (`pass insert -m openstack/mycloud`, then paste the JSON):
//!
//! ```yaml
//! auth: {command: [pass, show, openstack/mycloud]}
//! ```
//!
//! **HashiCorp Vault**: `vault kv get -format=json` prints the secret under `.data.data`;
//! turn it into a document with `jq` (or Python) in a shell the command starts itself:
//!
//! ```yaml
//! auth:
//!   auth_url: https://keystone.example.com/v3
//!   command:
//!     - sh
//!     - -c
//!     - >-
//!       vault kv get -format=json secret/openstack/mycloud |
//!       jq '{version: 1, auth_type: "v3applicationcredential", auth: .data.data}'
//! ```
//!
//! ```sh
//! # the same with Python instead of jq
//! vault kv get -format=json secret/openstack/mycloud | python3 -c 'import json,sys; print(json.dumps({"version": 1, "auth_type": "v3applicationcredential", "auth": json.load(sys.stdin)["data"]["data"]}))'
//! ```
//!
//! **1Password**: `op read` prints one field; build the document from two:
//!
//! ```sh
//! #!/bin/sh
//! # ~/.config/openstack/mycloud-credentials, referenced as command: [~/.config/...] (full path)
//! exec jq -n \
//!   --arg id "$(op read 'op://Private/OpenStack mycloud/username')" \
//!   --arg secret "$(op read 'op://Private/OpenStack mycloud/credential')" \
//!   '{version: 1, auth_type: "v3applicationcredential",
//!     auth: {application_credential_id: $id, application_credential_secret: $secret}}'
//! ```
//!
//! or keep the document itself in one field: `command: [op, read, "op://Private/OpenStack mycloud/document"]`.
//!
//! From Rust:
//!
//! ```no_run
//! use std::{sync::Arc, time::Duration};
//! use keystoneauth_core::Session;
//! use keystoneauth_loading::exec::ExecPlugin;
//! # fn demo() -> keystoneauth_core::Result<()> {
//! let plugin = ExecPlugin::new(["pass", "show", "openstack/mycloud"])?
//!     .timeout(Duration::from_secs(30))
//!     .default_auth_url("https://keystone.example.com/v3");
//! let session = Session::new(Arc::new(plugin))?;
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use keystoneauth_core::access::parse_timestamp;
use keystoneauth_core::http::HeaderMap;
use keystoneauth_core::identity::{identity_endpoint_data, DEFAULT_REFRESH_WINDOW};
use keystoneauth_core::plugin::{token_headers, X_AUTH_TOKEN};
use keystoneauth_core::redact::hash_secret;
use keystoneauth_core::registry::{self, Opt, OptKind, OptionValues};
use keystoneauth_core::secrecy::{ExposeSecret, SecretString};
use keystoneauth_core::{
    AccessInfo, AuthPlugin, ConnectionParams, EndpointData, EndpointFilter, Error, Result, Session,
};
use serde_json::{json, Map, Value};
use tokio::io::AsyncReadExt;

/// The version of the document this library reads (`"version": 1`).
pub const DOCUMENT_VERSION: u64 = 1;
/// How long the command may run when `timeout` is not given.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// The longest `timeout` accepted (one hour).
pub const MAX_TIMEOUT: Duration = Duration::from_secs(3600);
/// The most the command may print on stdout (1 MiB).
pub const MAX_OUTPUT: usize = 1 << 20;
/// Set for the command to its nesting depth (1 for a command run by a program that is not
/// itself run by an `exec` plugin).
pub const DEPTH_VAR: &str = "KEYSTONEAUTH_EXEC_DEPTH";
/// A command run at this depth fails: it is almost certainly running itself.
const MAX_DEPTH: u32 = 4;
/// After a failed run while the previous token is still valid, wait this long before the next.
const FAILED_RUN_BACKOFF: Duration = Duration::from_secs(5);
/// How long to wait for a killed command to be reaped.
const KILL_WAIT: Duration = Duration::from_secs(5);
/// How much of unusable output an error shows.
const PREVIEW_CHARS: usize = 120;
/// The log target.
const TARGET: &str = "keystoneauth::exec";

// ------------------------------------------------------------------------------ options

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
fn parse_env(text: &str) -> Result<Vec<(String, SecretString)>> {
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

fn parse_timeout(text: &str) -> Result<Duration> {
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

// ------------------------------------------------------------------------------ the command

/// A credential command: the program, its arguments, extra variables and a timeout.
#[derive(Clone)]
pub struct ExecCommand {
    argv: Vec<String>,
    env: Vec<(String, SecretString)>,
    timeout: Duration,
}

impl fmt::Debug for ExecCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExecCommand")
            .field("program", &self.program())
            .field("args", &self.argv.len().saturating_sub(1))
            .field(
                "env",
                &self.env.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
            )
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// What a finished run gave.
enum Outcome {
    Exited(Vec<u8>, ExitStatus),
    TooLarge,
}

impl ExecCommand {
    /// A command from the program and its arguments; `OptionError` when it is empty.
    pub fn new<I, S>(argv: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let argv: Vec<String> = argv.into_iter().map(Into::into).collect();
        if argv.first().is_none_or(|p| p.is_empty()) {
            return Err(Error::OptionError(
                "exec: command is empty; give the program and its arguments".into(),
            ));
        }
        Ok(ExecCommand {
            argv,
            env: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
        })
    }

    /// The program (the first word of the command).
    pub fn program(&self) -> &str {
        self.argv.first().map(String::as_str).unwrap_or("")
    }

    /// The timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    fn fail(&self, what: impl fmt::Display) -> Error {
        Error::AuthorizationFailure(format!("exec command `{}` {what}", self.program()))
    }

    /// Run the command and return its stdout, checked for size and exit status.
    pub async fn run(&self) -> Result<Vec<u8>> {
        let depth = std::env::var(DEPTH_VAR)
            .ok()
            .and_then(|d| d.trim().parse::<u32>().ok())
            .unwrap_or(0);
        if depth >= MAX_DEPTH {
            return Err(self.fail(format_args!(
                "was not run: {DEPTH_VAR} is {depth}, so exec commands are running each other \
                 (does the command run a program that uses this same exec plugin, e.g. \
                 through OS_CLOUD or OS_AUTH_TYPE?)"
            )));
        }
        let mut cmd = tokio::process::Command::new(self.program());
        cmd.args(&self.argv[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .env(DEPTH_VAR, (depth + 1).to_string());
        for (k, v) in &self.env {
            cmd.env(k, v.expose_secret());
        }
        tracing::debug!(target: TARGET, program = self.program(), args = self.argv.len() - 1,
            timeout_s = self.timeout.as_secs_f64(), "running the credential command");
        let started = Instant::now();
        let mut child = cmd.spawn().map_err(|e| self.spawn_error(&e))?;
        let mut stdout = child
            .stdout
            .take()
            .ok_or_else(|| self.fail("has no stdout pipe"))?;
        let run = async {
            let mut buf = Vec::new();
            (&mut stdout)
                .take(MAX_OUTPUT as u64 + 1)
                .read_to_end(&mut buf)
                .await?;
            if buf.len() > MAX_OUTPUT {
                return Ok(Outcome::TooLarge);
            }
            let status = child.wait().await?;
            Ok::<_, std::io::Error>(Outcome::Exited(buf, status))
        };
        let result = tokio::time::timeout(self.timeout, run).await;
        let outcome = match result {
            Ok(Ok(Outcome::Exited(out, status))) => (out, status),
            Ok(Ok(Outcome::TooLarge)) => {
                kill(&mut child).await;
                return Err(self.fail(format_args!(
                    "printed more than {MAX_OUTPUT} bytes on stdout (one JSON document is \
                     expected); it was stopped"
                )));
            }
            Ok(Err(e)) => {
                kill(&mut child).await;
                return Err(self.fail(format_args!("could not be read from: {e}")));
            }
            Err(_) => {
                kill(&mut child).await;
                return Err(self.fail(format_args!(
                    "timed out after {} s and was killed (raise the exec plugin's timeout \
                     if it needs longer, e.g. to wait for a prompt)",
                    self.timeout.as_secs_f64()
                )));
            }
        };
        let (out, status) = outcome;
        tracing::debug!(target: TARGET, program = self.program(), status = %status,
            bytes = out.len(), elapsed_ms = started.elapsed().as_millis() as u64,
            "the credential command finished");
        if !status.success() {
            let printed = if out.iter().all(u8::is_ascii_whitespace) {
                "nothing on stdout".to_owned()
            } else {
                format!("on stdout {}", describe_output(&out))
            };
            return Err(self.fail(format_args!(
                "failed with {status}; it printed {printed} (its stderr, if any, is above)"
            )));
        }
        Ok(out)
    }

    fn spawn_error(&self, e: &std::io::Error) -> Error {
        let p = self.program();
        match e.kind() {
            std::io::ErrorKind::NotFound if p.contains('/') => self.fail(format_args!(
                "could not be run: the program {p} does not exist"
            )),
            std::io::ErrorKind::NotFound => self.fail(format_args!(
                "could not be run: the program {p} was not found in PATH"
            )),
            std::io::ErrorKind::PermissionDenied => self.fail(format_args!(
                "could not be run: the program {p} is not executable (permission denied)"
            )),
            _ => self.fail(format_args!("could not be run: {e}")),
        }
    }
}

/// Kill a command that is still running and reap it (bounded).
async fn kill(child: &mut tokio::process::Child) {
    if let Err(e) = child.start_kill() {
        tracing::debug!(target: TARGET, error = %e, "could not kill the credential command");
    }
    let _ = tokio::time::timeout(KILL_WAIT, child.wait()).await;
}

/// Words whose value follows them and must not be shown.
const SENSITIVE_WORDS: &[&str] = &[
    "pass",
    "secret",
    "token",
    "key",
    "pin",
    "otp",
    "credential",
    "auth",
];

fn looks_sensitive_name(word: &str) -> bool {
    let w = word.to_ascii_lowercase();
    SENSITIVE_WORDS.iter().any(|s| w.contains(s))
}

/// A word that may be a secret: long, with no spaces, mixing letters and digits.
fn looks_like_secret(word: &str) -> bool {
    word.chars().count() >= 16
        && word.chars().any(|c| c.is_ascii_digit())
        && word.chars().any(|c| c.is_alphabetic())
}

/// What unusable output was, without quoting anything that may be a secret: text that looks
/// like JSON is not quoted at all; otherwise up to [`PREVIEW_CHARS`] characters of its first
/// lines, with single-word lines, secret-looking words and values after words such as
/// `password:` or `token=` hidden.
fn describe_output(out: &[u8]) -> String {
    let text = String::from_utf8_lossy(out);
    let t = text.trim();
    let n = out.len();
    if t.is_empty() {
        return format!("{n} bytes of white space");
    }
    if t.starts_with(['{', '[', '"']) {
        return format!("{n} bytes that look like JSON (not shown: they may hold secrets)");
    }
    let lines: Vec<&str> = t.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    if lines.len() == 1 && lines[0].split_whitespace().count() == 1 {
        return format!(
            "one word of {} characters (not shown: it may be a bare secret; the command must \
             print a JSON document)",
            lines[0].chars().count()
        );
    }
    let mut shown = Vec::new();
    for line in &lines {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() == 1 {
            shown.push("<one word hidden>".to_owned());
            continue;
        }
        let mut hide_next = false;
        let mut out_words = Vec::new();
        for w in words {
            let clean: String = w.chars().filter(|c| !c.is_control()).collect();
            if hide_next || looks_like_secret(&clean) {
                out_words.push("<hidden>".to_owned());
                hide_next = false;
                continue;
            }
            if let Some((k, _)) = clean.split_once(['=', ':']) {
                if looks_sensitive_name(k) {
                    let v_empty = clean.ends_with(['=', ':']);
                    out_words.push(format!("{k}{}<hidden>", &clean[k.len()..k.len() + 1]));
                    hide_next = v_empty;
                    continue;
                }
            }
            out_words.push(clean);
        }
        shown.push(out_words.join(" "));
    }
    let joined = shown.join(" | ");
    let mut preview: String = joined.chars().take(PREVIEW_CHARS).collect();
    if joined.chars().count() > PREVIEW_CHARS {
        preview.push('…');
    }
    format!("{n} bytes that are not JSON, starting {preview:?}")
}

// ------------------------------------------------------------------------------ the document

/// A parsed document.
enum Document {
    Token(Box<TokenDoc>),
    Options {
        auth_type: String,
        auth: Map<String, Value>,
    },
}

struct TokenDoc {
    token: SecretString,
    expires_at: Option<SystemTime>,
    expires_text: Option<String>,
    auth_url: Option<String>,
    catalog: Option<Value>,
    ids: BTreeMap<&'static str, String>,
}

/// The ids a token document may carry.
const TOKEN_IDS: &[&str] = &[
    "user_id",
    "project_id",
    "project_name",
    "project_domain_id",
    "domain_id",
];

fn parse_document(cmd: &ExecCommand, out: &[u8]) -> Result<Document> {
    let bad = |what: String| cmd.fail(format_args!("printed {what}"));
    if out.iter().all(u8::is_ascii_whitespace) {
        return Err(bad("nothing on stdout (a JSON document is expected)".into()));
    }
    let value: Value = serde_json::from_slice(out).map_err(|e| {
        let at = format!("line {} column {}", e.line(), e.column());
        let why = match e.classify() {
            serde_json::error::Category::Eof => "ends too early".to_owned(),
            _ => format!("is not valid JSON at {at}"),
        };
        bad(format!(
            "something that is not one JSON document: it {why}; {}",
            describe_output(out)
        ))
    })?;
    let Value::Object(mut doc) = value else {
        return Err(bad(format!(
            "JSON that is not an object ({}); the document is {{\"version\": 1, …}}",
            kind_of(&value)
        )));
    };
    let field = |name: &str| format!("a document whose field `{name}`");
    match doc.get("version") {
        None => {
            return Err(bad(
                "a document without `version`; add \"version\": 1".into()
            ))
        }
        Some(Value::Number(n)) if n.as_u64() == Some(DOCUMENT_VERSION) => {}
        Some(Value::Number(n)) if n.is_u64() || n.is_i64() => {
            return Err(bad(format!(
                "a document of version {n}; this library reads version {DOCUMENT_VERSION}"
            )))
        }
        Some(v) => {
            return Err(bad(format!(
                "{} is {}, not the number {DOCUMENT_VERSION}",
                field("version"),
                kind_of(v)
            )))
        }
    }
    let string = |doc: &mut Map<String, Value>, name: &str| -> Result<Option<String>> {
        match doc.remove(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => {
                Err(bad(format!("{} is empty", field(name))))
            }
            Some(Value::String(s)) => Ok(Some(s)),
            Some(v) => Err(bad(format!(
                "{} is {}, not a string",
                field(name),
                kind_of(&v)
            ))),
        }
    };
    let has_token = doc.contains_key("token");
    let has_type = doc.contains_key("auth_type");
    match (has_token, has_type) {
        (true, true) => Err(bad(
            "a document with both `token` and `auth_type`; give one of them".into(),
        )),
        (false, false) => Err(bad(
            "a document with neither `token` (a ready token) nor `auth_type` (the options \
             of a plugin)"
                .into(),
        )),
        (false, true) => {
            let auth_type = string(&mut doc, "auth_type")?.unwrap_or_default();
            let auth = match doc.remove("auth") {
                None | Some(Value::Null) => Map::new(),
                Some(Value::Object(m)) => m,
                Some(v) => {
                    return Err(bad(format!(
                        "{} is {}, not an object of options",
                        field("auth"),
                        kind_of(&v)
                    )))
                }
            };
            Ok(Document::Options {
                auth_type: auth_type.trim().to_owned(),
                auth,
            })
        }
        (true, false) => {
            let token = string(&mut doc, "token")?.unwrap_or_default();
            if token.trim() != token || token.chars().any(|c| c.is_control() || !c.is_ascii()) {
                return Err(bad(format!(
                    "{} cannot be sent in a header (white space, control or non-ASCII \
                     characters)",
                    field("token")
                )));
            }
            let expires_text = string(&mut doc, "expires_at")?;
            let expires_at = match &expires_text {
                Some(t) => Some(SystemTime::from(parse_timestamp(t).map_err(|_| {
                    bad(format!(
                        "{} is not an RFC 3339 time such as 2026-12-06T18:00:00Z",
                        field("expires_at")
                    ))
                })?)),
                None => None,
            };
            let auth_url = string(&mut doc, "auth_url")?;
            let catalog = match doc.remove("catalog") {
                None | Some(Value::Null) => None,
                Some(v @ Value::Array(_)) => Some(v),
                Some(v) => {
                    return Err(bad(format!(
                        "{} is {}, not a list of services (a v3 catalog)",
                        field("catalog"),
                        kind_of(&v)
                    )))
                }
            };
            let mut ids = BTreeMap::new();
            for name in TOKEN_IDS {
                if let Some(v) = string(&mut doc, name)? {
                    ids.insert(*name, v);
                }
            }
            Ok(Document::Token(Box::new(TokenDoc {
                token: SecretString::from(token),
                expires_at,
                expires_text,
                auth_url,
                catalog,
                ids,
            })))
        }
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// An option value from a document as the registry reads it.
fn option_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(_) | Value::Object(_) => Some(v.to_string()),
    }
}

/// `{auth_url}/auth/tokens`, or `{auth_url}/v3/auth/tokens` when it does not end in `v3`.
fn token_url(auth_url: &str) -> String {
    let base = auth_url.trim_end_matches('/');
    if base.ends_with("v3") {
        format!("{base}/auth/tokens")
    } else {
        format!("{base}/v3/auth/tokens")
    }
}

// ------------------------------------------------------------------------------ the plugin

/// What the last run of the command gave.
struct Loaded {
    /// Which successful run this is (1, 2, …).
    generation: u64,
    kind: Kind,
}

enum Kind {
    Token(TokenState),
    Plugin {
        auth_type: String,
        plugin: Arc<dyn AuthPlugin>,
    },
}

struct TokenState {
    access: Arc<AccessInfo>,
    auth_url: Option<String>,
    expires: SystemTime,
    stale_at: SystemTime,
    /// After a failed run, the token (still valid) is used until then.
    retry_after: Mutex<Option<Instant>>,
}

impl fmt::Debug for Loaded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Token(t) => f
                .debug_struct("Token")
                .field("generation", &self.generation)
                .field("token", &hash_secret(t.access.auth_token().expose_secret()))
                .field("expires", &t.access.expires())
                .field("auth_url", &t.auth_url)
                .finish(),
            Kind::Plugin { auth_type, plugin } => f
                .debug_struct("Plugin")
                .field("generation", &self.generation)
                .field("auth_type", auth_type)
                .field("plugin", plugin)
                .finish(),
        }
    }
}

/// The `exec` plugin: runs an [`ExecCommand`] and uses the token or the plugin it prints
/// (see the [module documentation](self)).
pub struct ExecPlugin {
    command: ExecCommand,
    auth_url: Option<String>,
    refresh_window: Duration,
    current: RwLock<Option<Arc<Loaded>>>,
    flight: tokio::sync::Mutex<()>,
    /// Successful runs.
    generation: AtomicU64,
    /// Runs finished (successful or not).
    finished: AtomicU64,
    /// The error of the last run to finish, if it failed: the callers that waited on it get it.
    last_failure: Mutex<Option<Error>>,
}

impl fmt::Debug for ExecPlugin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExecPlugin")
            .field("command", &self.command)
            .field("auth_url", &self.auth_url)
            .field("current", &self.peek())
            .finish()
    }
}

impl ExecPlugin {
    /// A plugin running this command (program, then arguments).
    pub fn new<I, S>(argv: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Ok(Self::from_command(ExecCommand::new(argv)?))
    }

    /// A plugin running this command.
    pub fn from_command(command: ExecCommand) -> Self {
        ExecPlugin {
            command,
            auth_url: None,
            refresh_window: DEFAULT_REFRESH_WINDOW,
            current: RwLock::new(None),
            flight: tokio::sync::Mutex::new(()),
            generation: AtomicU64::new(0),
            finished: AtomicU64::new(0),
            last_failure: Mutex::new(None),
        }
    }

    /// Build from the options of [`exec_options`] (`command`, `timeout`, `env`, `auth_url`).
    pub fn from_options(values: &OptionValues) -> Result<Self> {
        let command = values.get("command").ok_or_else(|| {
            Error::OptionError("exec: command is required (env OS_EXEC_COMMAND)".into())
        })?;
        let mut cmd = ExecCommand::new(parse_command(&command)?)?;
        if let Some(t) = values.get("timeout") {
            cmd.timeout = parse_timeout(&t)?;
        }
        if let Some(e) = values.get("env") {
            cmd.env = parse_env(&e)?;
        }
        let mut plugin = Self::from_command(cmd);
        plugin.auth_url = values.get("auth_url");
        Ok(plugin)
    }

    /// How long the command may run (default [`DEFAULT_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.command.timeout = timeout;
        self
    }

    /// Add a variable to the command's environment.
    pub fn env(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.command
            .env
            .push((name.into(), SecretString::from(value.into())));
        self
    }

    /// The default auth URL: where a printed token's body is read from, and the `auth_url` of
    /// a printed plugin that has none.
    pub fn default_auth_url(mut self, url: impl Into<String>) -> Self {
        self.auth_url = Some(url.into());
        self
    }

    /// A token is used until this long before it expires (default 120 s; at most half of
    /// the life it had when the command printed it).
    pub fn refresh_window(mut self, window: Duration) -> Self {
        self.refresh_window = window;
        self
    }

    /// The command.
    pub fn command(&self) -> &ExecCommand {
        &self.command
    }

    /// How many times the command has run successfully (the current result's generation).
    pub fn successful_runs(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    fn peek(&self) -> Option<Arc<Loaded>> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The current result if it can be used now, with no I/O. `invalid` names a generation
    /// that must not be returned (its plugin was refused).
    fn usable(&self, invalid: Option<u64>) -> Option<Arc<Loaded>> {
        let cur = self.peek()?;
        if invalid == Some(cur.generation) {
            return None;
        }
        match &cur.kind {
            Kind::Plugin { .. } => Some(cur),
            Kind::Token(t) => {
                let now = SystemTime::now();
                if now < t.stale_at {
                    return Some(cur);
                }
                let retry_after = *t.retry_after.lock().unwrap_or_else(|e| e.into_inner());
                match retry_after {
                    Some(r) if Instant::now() < r && now < t.expires => Some(cur),
                    _ => None,
                }
            }
        }
    }

    /// The current result, running the command (once for all concurrent callers) when there
    /// is none, it is stale, or it is generation `invalid`.
    async fn load(&self, session: &Session, invalid: Option<u64>) -> Result<Arc<Loaded>> {
        if let Some(l) = self.usable(invalid) {
            return Ok(l);
        }
        let seen_finished = self.finished.load(Ordering::SeqCst);
        let _flight = self.flight.lock().await;
        if let Some(l) = self.usable(invalid) {
            return Ok(l);
        }
        // A run finished while we waited for it: its result is the answer to our call too,
        // its error included (the command is not run again at once for every waiter).
        if self.finished.load(Ordering::SeqCst) != seen_finished {
            let failure = self
                .last_failure
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            match failure {
                Some(e) => return Err(e),
                None => {
                    if let Some(l) = self.peek().filter(|l| Some(l.generation) != invalid) {
                        return Ok(l);
                    }
                }
            }
        }
        let result = self.fetch(session).await;
        *self.last_failure.lock().unwrap_or_else(|e| e.into_inner()) =
            result.as_ref().err().cloned();
        self.finished.fetch_add(1, Ordering::SeqCst);
        match result {
            Ok(kind) => {
                let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
                let loaded = Arc::new(Loaded { generation, kind });
                *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some(loaded.clone());
                Ok(loaded)
            }
            Err(e) => {
                if invalid.is_none() {
                    if let Some(cur) = self.peek() {
                        if let Kind::Token(t) = &cur.kind {
                            if SystemTime::now() < t.expires {
                                tracing::warn!(target: TARGET, error = %e,
                                    "the credential command failed; using the current token \
                                     until it expires");
                                *t.retry_after.lock().unwrap_or_else(|e| e.into_inner()) =
                                    Some(Instant::now() + FAILED_RUN_BACKOFF);
                                return Ok(cur);
                            }
                        }
                    }
                }
                Err(e)
            }
        }
    }

    /// Run the command and turn its document into a token or a plugin.
    async fn fetch(&self, session: &Session) -> Result<Kind> {
        let out = self.command.run().await?;
        match parse_document(&self.command, &out)? {
            Document::Token(doc) => Ok(Kind::Token(self.token_state(session, *doc).await?)),
            Document::Options { auth_type, auth } => {
                let plugin = self.inner_plugin(&auth_type, auth)?;
                tracing::debug!(target: TARGET, auth_type = %auth_type,
                    "the credential command printed the options of a plugin");
                Ok(Kind::Plugin { auth_type, plugin })
            }
        }
    }

    async fn token_state(&self, session: &Session, doc: TokenDoc) -> Result<TokenState> {
        let auth_url = doc.auth_url.clone().or_else(|| self.auth_url.clone());
        let access = match (&doc.catalog, &auth_url) {
            (None, Some(url)) => {
                let url = token_url(url);
                let tok = doc.token.expose_secret();
                let resp = session
                    .get(&url)
                    .header("Accept", "application/json")
                    .header("X-Auth-Token", tok)
                    .header("X-Subject-Token", tok)
                    .authenticated(false)
                    .log_body(false)
                    .send()
                    .await
                    .inspect_err(|e| {
                        tracing::warn!(target: TARGET, url = %url, error = %e,
                            "reading the body of the token the credential command printed failed");
                    })?;
                AccessInfo::from_body(resp.bytes(), Some(doc.token.clone()))?
            }
            _ => self.synthesize(&doc)?,
        };
        let from_body = SystemTime::from(access.expires());
        let expires = match doc.expires_at {
            Some(e) if e < from_body => e,
            _ => from_body,
        };
        let now = SystemTime::now();
        let left = expires.duration_since(now).map_err(|_| {
            self.command.fail(format_args!(
                "printed a token that has expired (expires_at {})",
                doc.expires_text
                    .as_deref()
                    .unwrap_or("from Keystone's token body")
            ))
        })?;
        let window = self.refresh_window.min(left / 2);
        tracing::debug!(target: TARGET,
            token = %hash_secret(access.auth_token().expose_secret()),
            expires_in_s = left.as_secs(), catalog = access.has_service_catalog(),
            "the credential command printed a token");
        Ok(TokenState {
            access: Arc::new(access),
            auth_url,
            expires,
            stale_at: expires.checked_sub(window).unwrap_or(now),
            retry_after: Mutex::new(None),
        })
    }

    /// Access info from the document alone (no auth URL, or a catalog given).
    fn synthesize(&self, doc: &TokenDoc) -> Result<AccessInfo> {
        let Some(expires) = &doc.expires_text else {
            return Err(self.command.fail(
                "printed a token without `expires_at`, and no auth URL is known to read its \
                 expiry from (give expires_at, or auth_url in the document or the options)",
            ));
        };
        let id = |k: &str| doc.ids.get(k).cloned();
        let mut token = json!({
            "methods": ["token"],
            "expires_at": expires,
            "user": {"id": id("user_id").unwrap_or_default()},
        });
        if let Some(p) = id("project_id") {
            let mut project = json!({"id": p});
            if let Some(n) = id("project_name") {
                project["name"] = json!(n);
            }
            if let Some(d) = id("project_domain_id") {
                project["domain"] = json!({"id": d});
            }
            token["project"] = project;
        } else if let Some(d) = id("domain_id") {
            token["domain"] = json!({"id": d});
        }
        if let Some(c) = &doc.catalog {
            token["catalog"] = c.clone();
        }
        let body = serde_json::to_vec(&json!({ "token": token })).map_err(|e| {
            self.command
                .fail(format_args!("gave a document that could not be used: {e}"))
        })?;
        AccessInfo::from_v3_body(&body, doc.token.clone()).map_err(|_| {
            self.command.fail(
                "printed a token document that could not be used (is `catalog` a v3 catalog \
                 list, and `expires_at` an RFC 3339 time?)",
            )
        })
    }

    /// Load the plugin a document names, with its options.
    fn inner_plugin(
        &self,
        auth_type: &str,
        auth: Map<String, Value>,
    ) -> Result<Arc<dyn AuthPlugin>> {
        if auth_type.is_empty() {
            return Err(self
                .command
                .fail("printed a document whose field `auth_type` is empty"));
        }
        if auth_type == "exec" {
            return Err(self.command.fail(
                "printed a document with auth_type exec; a command cannot name the exec \
                 plugin again",
            ));
        }
        let loader = registry::loader(auth_type)?;
        let mut opts = loader.opts();
        // v3multifactor: the options of each method in auth_methods too.
        if let Some(methods) = auth.get("auth_methods").and_then(option_text) {
            let list = OptionValues::new()
                .with("m", methods)
                .get_list("m")
                .unwrap_or_default();
            for name in list {
                for o in registry::loader(&name)?.opts() {
                    if !opts.iter().any(|x| x.dest() == o.dest()) {
                        opts.push(o);
                    }
                }
            }
        }
        let norm = |k: &str| k.trim().replace('-', "_").to_ascii_lowercase();
        let mut values = OptionValues::new();
        let mut unknown = Vec::new();
        for (k, v) in &auth {
            let key = norm(k);
            match opts
                .iter()
                .find(|o| o.keys().iter().any(|x| norm(x) == key))
            {
                Some(o) => {
                    if let Some(text) = option_text(v) {
                        values.set(&o.dest(), text);
                    }
                }
                None => unknown.push(k.clone()),
            }
        }
        if !unknown.is_empty() {
            let mut names: Vec<String> = opts.iter().map(Opt::dest).collect();
            names.sort();
            return Err(self.command.fail(format_args!(
                "printed options that {auth_type} does not have: {}; its options are: {}",
                unknown.join(", "),
                names.join(", ")
            )));
        }
        if let Some(url) = &self.auth_url {
            if !values.contains("auth_url") && opts.iter().any(|o| o.dest() == "auth_url") {
                values.set("auth_url", url.clone());
            }
        }
        loader.load(&values).map_err(|e| match e {
            Error::MissingRequiredOptions(missing) => self.command.fail(format_args!(
                "printed the options of {auth_type} without {}",
                missing
                    .iter()
                    .map(|m| m.name.replace('-', "_"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            other => other,
        })
    }

    /// Run `op` on the current result; when it is a plugin whose authentication is refused
    /// with 401, run the command again (once) and retry with the new result.
    async fn with_current<T, F, Fut>(&self, session: &Session, op: F) -> Result<T>
    where
        F: Fn(Arc<Loaded>) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let loaded = self.load(session, None).await?;
        let generation = loaded.generation;
        let is_plugin = matches!(loaded.kind, Kind::Plugin { .. });
        match op(loaded).await {
            Err(e) if is_plugin && credential_refused(&e) => {
                tracing::info!(target: TARGET, error = %e,
                    "the plugin from the credential command was refused; running the command again");
                let loaded = self.load(session, Some(generation)).await?;
                op(loaded).await
            }
            other => other,
        }
    }
}

#[keystoneauth_core::async_trait]
impl AuthPlugin for ExecPlugin {
    async fn auth_headers(&self, session: &Session) -> Result<Option<HeaderMap>> {
        self.with_current(session, |l| async move {
            match &l.kind {
                Kind::Token(t) => Ok(Some(token_headers(t.access.auth_token())?)),
                Kind::Plugin { plugin, .. } => plugin.auth_headers(session).await,
            }
        })
        .await
    }

    fn add_ready_auth_headers(&self, headers: &mut HeaderMap) -> bool {
        let Some(l) = self.usable(None) else {
            return false;
        };
        match &l.kind {
            Kind::Token(t) => match t.access.auth_token_header() {
                Some(v) => {
                    headers.insert(X_AUTH_TOKEN, v.clone());
                    true
                }
                None => false,
            },
            Kind::Plugin { plugin, .. } => plugin.add_ready_auth_headers(headers),
        }
    }

    async fn token(&self, session: &Session) -> Result<Option<SecretString>> {
        self.with_current(session, |l| async move {
            match &l.kind {
                Kind::Token(t) => Ok(Some(t.access.auth_token().clone())),
                Kind::Plugin { plugin, .. } => plugin.token(session).await,
            }
        })
        .await
    }

    async fn endpoint_data(
        &self,
        session: &Session,
        filter: &EndpointFilter,
    ) -> Result<Option<EndpointData>> {
        self.with_current(session, |l| async move {
            match &l.kind {
                Kind::Token(t) => {
                    if filter.is_auth_interface() && t.auth_url.is_none() {
                        return Ok(None);
                    }
                    identity_endpoint_data(
                        session,
                        t.auth_url.as_deref().unwrap_or(""),
                        Some(&t.access),
                        filter,
                    )
                    .await
                }
                Kind::Plugin { plugin, .. } => plugin.endpoint_data(session, filter).await,
            }
        })
        .await
    }

    async fn endpoint(&self, session: &Session, filter: &EndpointFilter) -> Result<Option<String>> {
        self.with_current(session, |l| async move {
            match &l.kind {
                Kind::Token(_) => Ok(self
                    .endpoint_data(session, filter)
                    .await?
                    .map(|d| d.url().to_owned())),
                Kind::Plugin { plugin, .. } => plugin.endpoint(session, filter).await,
            }
        })
        .await
    }

    fn invalidate(&self) -> bool {
        let Some(cur) = self.peek() else {
            return false;
        };
        match &cur.kind {
            Kind::Token(_) => {
                self.drop_if(cur.generation);
                true
            }
            Kind::Plugin { plugin, .. } => plugin.invalidate(),
        }
    }

    fn invalidate_sent(&self, sent: Option<&str>) -> bool {
        let Some(cur) = self.peek() else {
            // Nothing cached: the next request runs the command.
            return true;
        };
        match &cur.kind {
            Kind::Token(t) => {
                let is_it = sent.is_none_or(|s| t.access.auth_token().expose_secret() == s);
                if is_it {
                    self.drop_if(cur.generation);
                }
                true
            }
            Kind::Plugin { plugin, .. } => plugin.invalidate_sent(sent),
        }
    }

    async fn user_id(&self, session: &Session) -> Result<Option<String>> {
        self.with_current(session, |l| async move {
            match &l.kind {
                Kind::Token(t) => Ok(Some(t.access.user_id().to_owned()).filter(|u| !u.is_empty())),
                Kind::Plugin { plugin, .. } => plugin.user_id(session).await,
            }
        })
        .await
    }

    async fn project_id(&self, session: &Session) -> Result<Option<String>> {
        self.with_current(session, |l| async move {
            match &l.kind {
                Kind::Token(t) => Ok(t.access.project_id().map(str::to_owned)),
                Kind::Plugin { plugin, .. } => plugin.project_id(session).await,
            }
        })
        .await
    }

    async fn access(&self, session: &Session) -> Result<Option<Arc<AccessInfo>>> {
        self.with_current(session, |l| async move {
            match &l.kind {
                Kind::Token(t) => Ok(Some(t.access.clone())),
                Kind::Plugin { plugin, .. } => plugin.access(session).await,
            }
        })
        .await
    }

    fn connection_params(&self) -> ConnectionParams {
        match self.peek().as_deref().map(|l| &l.kind) {
            Some(Kind::Plugin { plugin, .. }) => plugin.connection_params(),
            _ => ConnectionParams::default(),
        }
    }

    fn auth_url(&self) -> Option<String> {
        match self.peek().as_deref().map(|l| &l.kind) {
            Some(Kind::Token(t)) => t.auth_url.clone(),
            Some(Kind::Plugin { plugin, .. }) => plugin.auth_url(),
            None => self.auth_url.clone(),
        }
    }

    fn auth_state(&self) -> Option<String> {
        match self.peek().as_deref().map(|l| &l.kind) {
            Some(Kind::Token(t)) => Some(t.access.to_auth_state()),
            Some(Kind::Plugin { plugin, .. }) => plugin.auth_state(),
            None => None,
        }
    }
}

/// True when a printed plugin's credential was refused: any 401, or a 404 answering a
/// `POST …/auth/tokens` (Keystone's answer for a deleted application credential).
fn credential_refused(e: &Error) -> bool {
    match e {
        Error::Unauthorized(_) => true,
        Error::NotFound(h) => {
            h.method.eq_ignore_ascii_case("POST")
                && h.url
                    .split(['?', '#'])
                    .next()
                    .is_some_and(|u| u.trim_end_matches('/').ends_with("/auth/tokens"))
        }
        _ => false,
    }
}

impl ExecPlugin {
    /// Drop the current result if it is still generation `generation`.
    fn drop_if(&self, generation: u64) {
        let mut guard = self.current.write().unwrap_or_else(|e| e.into_inner());
        if guard.as_ref().is_some_and(|l| l.generation == generation) {
            guard.take();
        }
    }
}

#[cfg(test)]
#[path = "exec_tests.rs"]
mod tests;
