//! `ksa request METHOD SERVICE_TYPE PATH`: call a service; the body goes to stdout, the
//! status to stderr.

use std::io::{IsTerminal, Read, Write};

use clap::Args;
use keystoneauth::http::Method;
use serde_json::Value;

use crate::context::Ctx;
use crate::error::{Failure, Res};

/// `ksa request …`
#[derive(Debug, Args)]
pub struct RequestArgs {
    /// HTTP method
    pub method: String,
    /// Service type
    pub service_type: String,
    /// Path relative to the service's endpoint
    pub path: String,
    /// Request body: text, @file, or - for stdin
    #[arg(long, short = 'd', value_name = "DATA")]
    pub data: Option<String>,
    /// Microversion for the service: a version (2.79), a range the client supports
    /// (2.1-2.95: the highest the service also supports), or `auto` (the service's highest);
    /// a range or `auto` reads the service's version document first
    #[arg(long, value_name = "VERSION|MIN-MAX|auto")]
    pub microversion: Option<String>,
    /// Extra header, NAME:VALUE (repeatable)
    #[arg(long = "header", short = 'H', value_name = "NAME:VALUE")]
    pub headers: Vec<String>,
    /// Stream the body into FILE (`-`: standard output) as it arrives, in constant memory,
    /// whatever its size, as `curl -o` does
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<String>,
}

/// Run `ksa request …`: a failure status is [`Failure::Status`] (exit 1), after the body.
pub async fn run(ctx: &Ctx, args: &RequestArgs) -> Res<()> {
    let method = Method::from_bytes(args.method.to_ascii_uppercase().as_bytes())
        .map_err(|_| Failure::Usage(format!("invalid HTTP method {}", args.method)))?;
    let mut a = ctx
        .config
        .adapter(&ctx.session, &args.service_type)?
        .raise_exc(false);
    if let Some(mv) = &args.microversion {
        a = if mv.eq_ignore_ascii_case("auto") {
            let best = a.latest_microversion().await?;
            a.default_microversion(best.to_string())
        } else if let Some((lo, hi)) = mv.split_once('-') {
            a.with_negotiated_microversion(lo.trim(), hi.trim()).await?
        } else {
            a.default_microversion(mv.clone())
        };
    }
    let mut r = a.request(method, args.path.clone());
    let mut has_ct = false;
    for h in &args.headers {
        let (k, v) = h
            .split_once(':')
            .ok_or_else(|| Failure::Usage(format!("header {h:?} is not NAME:VALUE")))?;
        has_ct |= k.trim().eq_ignore_ascii_case("content-type");
        r = r.header(k.trim(), v.trim());
    }
    if let Some(d) = &args.data {
        let body = read_data(d)?;
        if !has_ct && serde_json::from_slice::<Value>(&body).is_ok() {
            r = r.header("Content-Type", "application/json");
        }
        r = r.body(body);
    }
    if let Some(target) = &args.output {
        return stream_to(r, target).await;
    }
    let resp = r.send().await?;
    let mut out = std::io::stdout().lock();
    let terminal = out.is_terminal();
    let mut written = if terminal {
        // On a terminal, the body cannot drive it: control characters other than line
        // breaks and tabs are shown escaped. Into a pipe or a file, the bytes are exact.
        out.write_all(for_terminal(resp.bytes()).as_bytes())
    } else {
        out.write_all(resp.bytes())
    };
    if !resp.bytes().is_empty() && !resp.bytes().ends_with(b"\n") && terminal {
        written = written.and_then(|_| out.write_all(b"\n"));
    }
    written.and_then(|_| out.flush()).map_err(Failure::Output)?;
    report(resp.status(), resp.request_id())
}

/// A body as shown on a terminal: its text (invalid UTF-8 replaced), every control
/// character but `\n` and `\t` escaped.
fn for_terminal(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .split('\n')
        .map(|line| {
            line.split('\t')
                .map(keystoneauth::redact::escape_controls)
                .collect::<Vec<_>>()
                .join("\t")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The status line on stderr; a failure status is [`Failure::Status`].
fn report(status: keystoneauth::http::StatusCode, request_id: Option<&str>) -> Res<()> {
    crate::error::say(&format!(
        "{} {}{}",
        status.as_u16(),
        status.canonical_reason().unwrap_or(""),
        request_id
            .map(|id| format!(" (Request-ID: {id})"))
            .unwrap_or_default()
    ));
    if status.is_success() || status.is_redirection() {
        Ok(())
    } else {
        Err(Failure::Status)
    }
}

/// `--output FILE`: the body streamed into the file (or stdout for `-`) as it arrives.
async fn stream_to(r: keystoneauth::RequestBuilder, target: &str) -> Res<()> {
    let mut resp = r.send_streaming().await?;
    let written = if target == "-" {
        let mut out = tokio::io::stdout();
        resp.copy_to(&mut out).await?
    } else {
        let file = create_output(target)?;
        let mut file = tokio::fs::File::from_std(file);
        resp.copy_to(&mut file).await?
    };
    tracing::debug!("{written} bytes written to {target}");
    report(resp.status(), resp.request_id())
}

/// The output file, created or truncated; a symlink at its path is not followed.
fn create_output(path: &str) -> Res<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc_nofollow());
    }
    opts.open(path)
        .map_err(|e| Failure::Msg(format!("cannot write {path}: {e}")))
}

#[cfg(unix)]
fn libc_nofollow() -> i32 {
    rustix::fs::OFlags::NOFOLLOW.bits() as i32
}

/// The body of `--data`: the text itself, `@file`'s content, or stdin for `-`.
fn read_data(d: &str) -> Res<Vec<u8>> {
    if d == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| Failure::Msg(format!("cannot read standard input: {e}")))?;
        Ok(buf)
    } else if let Some(path) = d.strip_prefix('@') {
        std::fs::read(path).map_err(|e| Failure::Usage(format!("cannot read {path}: {e}")))
    } else {
        Ok(d.as_bytes().to_vec())
    }
}
