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

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use keystoneauth_core::identity::DEFAULT_REFRESH_WINDOW;
use keystoneauth_core::registry::OptionValues;
use keystoneauth_core::secrecy::SecretString;
use keystoneauth_core::{Error, Result};

mod auth;
mod cache;
mod command;
mod document;
mod options;
mod resolve;

use cache::Loaded;
pub use command::ExecCommand;
pub use options::{exec_options, parse_command};
use options::{parse_env, parse_timeout};

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
/// The log target.
const TARGET: &str = "keystoneauth::exec";

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
}

#[cfg(test)]
mod tests;
