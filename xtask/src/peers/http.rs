//! A tiny HTTP client on top of the `curl` binary (already needed by the peers and tests),
//! so xtask needs no TLS/HTTP crates. Request bodies go through stdin, never argv.

use super::proc;
use anyhow::{bail, Context, Result};
use std::process::Command;
use std::time::Duration;

pub struct Response {
    pub status: u16,
    headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Result<serde_json::Value> {
        serde_json::from_str(&self.body)
            .with_context(|| format!("not JSON (HTTP {}): {}", self.status, self.body))
    }
}

/// One request. `extra` are additional curl arguments (`--cacert F`, `-u user:pw`, ...).
pub fn request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
    extra: &[&str],
) -> Result<Response> {
    request_env(method, url, headers, body, extra, &[])
}

/// [`request`] with extra environment for curl (e.g. KRB5_CONFIG, KRB5CCNAME).
pub fn request_env(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
    extra: &[&str],
    env: &[(&str, String)],
) -> Result<Response> {
    let mut c = Command::new("curl");
    for (k, v) in env {
        c.env(k, v);
    }
    c.args(["-sS", "-i", "--max-time", "30", "-X", method]);
    c.args(["-H", "Expect:"]);
    for (k, v) in headers {
        c.arg("-H").arg(format!("{k}: {v}"));
    }
    if body.is_some() {
        c.args(["--data-binary", "@-"]);
    }
    c.args(extra).arg(url);
    let out = proc::run_with_input(c, body.unwrap_or(""), Duration::from_secs(40))
        .with_context(|| format!("{method} {url}"))?;
    parse(&out).with_context(|| format!("{method} {url}"))
}

fn parse(raw: &str) -> Result<Response> {
    let mut rest = raw;
    loop {
        let Some((head, body)) = rest.split_once("\r\n\r\n") else {
            bail!("no HTTP header block in curl output: {raw:?}");
        };
        let mut lines = head.lines();
        let status_line = lines.next().unwrap_or("");
        let status: u16 = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .with_context(|| format!("bad status line {status_line:?}"))?;
        // 1xx interim answers are followed by the real one.
        if (100..200).contains(&status) && body.starts_with("HTTP/") {
            rest = body;
            continue;
        }
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        return Ok(Response {
            status,
            headers,
            body: body.to_string(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_interim_and_final_response() {
        let r = parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nX-Subject-Token: abc\r\nContent-Type: application/json\r\n\r\n{\"a\":1}").unwrap();
        assert_eq!(r.status, 201);
        assert_eq!(r.header("x-subject-token"), Some("abc"));
        assert_eq!(r.json().unwrap()["a"], 1);
    }
}
