//! Running the command: spawn without a shell, the timeout, the output limit, and what
//! unusable output is said to be.

use std::fmt;
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use keystoneauth_core::secrecy::{ExposeSecret, SecretString};
use keystoneauth_core::{Error, Result};
use tokio::io::AsyncReadExt;

use super::{DEFAULT_TIMEOUT, DEPTH_VAR, MAX_OUTPUT, TARGET};

/// A command run at this depth fails: it is almost certainly running itself.
const MAX_DEPTH: u32 = 4;
/// How long to wait for a killed command to be reaped.
const KILL_WAIT: Duration = Duration::from_secs(5);
/// How much of unusable output an error shows.
const PREVIEW_CHARS: usize = 120;

/// A credential command: the program, its arguments, extra variables and a timeout.
#[derive(Clone)]
pub struct ExecCommand {
    pub(super) argv: Vec<String>,
    pub(super) env: Vec<(String, SecretString)>,
    pub(super) timeout: Duration,
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

    pub(super) fn fail(&self, what: impl fmt::Display) -> Error {
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
pub(super) fn describe_output(out: &[u8]) -> String {
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
