//! Private Apache instances (own ServerRoot, conf, logs, PID) in front of Keystone.

use super::{http, proc, Ctx};
use anyhow::{Context, Result};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const COMMON: &str = include_str!("../../assets/peers/apache/common.conf.in");
pub const OPENIDC: &str = include_str!("../../assets/peers/apache/openidc.conf.in");
pub const MELLON: &str = include_str!("../../assets/peers/apache/mellon.conf.in");
pub const GSSAPI: &str = include_str!("../../assets/peers/apache/gssapi.conf.in");

pub const MODULES: &str = "/usr/lib/apache2/modules";

pub struct Front {
    pub port: u16,
    pub url: String,
    pub dir: PathBuf,
}

/// The state dir of front end `name` (`apache-openidc`, ...).
pub fn dir(ctx: &Ctx, name: &str) -> PathBuf {
    ctx.root.join(name)
}

/// Writes `<dir>/httpd.conf` from the common part plus `body` (already rendered), checks it
/// with `apache2 -t`, starts `apache2 -DFOREGROUND` and waits until it answers HTTP.
/// `env` is extra environment for Apache (e.g. KRB5_CONFIG).
pub fn start(
    label: &'static str,
    dir: &Path,
    port: u16,
    body: &str,
    env: &[(&str, &Path)],
) -> Result<Front> {
    proc::need_program(
        "apache2",
        "apt-get install apache2 (see xtask/assets/apt-packages.txt)",
    )?;
    let port_s = port.to_string();
    let d = dir.display().to_string();
    let common = proc::render(
        COMMON,
        &[
            ("DIR", &d),
            ("PORT", &port_s),
            ("MODULES", MODULES),
            (
                "LOGLEVEL",
                "warn auth_openidc:info auth_mellon:info auth_gssapi:info",
            ),
        ],
    )?;
    let conf = dir.join("httpd.conf");
    proc::write(&conf, format!("{common}\n{body}"))?;
    let apache = |extra: &[&str]| {
        let mut c = Command::new("apache2");
        c.arg("-f").arg(&conf).args(extra).current_dir(dir);
        for (k, v) in env {
            c.env(k, v);
        }
        c
    };
    proc::run(apache(&["-t"]), Duration::from_secs(20))
        .with_context(|| format!("{label}: bad config {}", conf.display()))?;
    let log = dir.join("stdout.log");
    let _ = fs::remove_file(&log);
    let mut srv = proc::spawn(
        label,
        apache(&["-DFOREGROUND"]),
        &log,
        &dir.join("pid"),
        &conf.display().to_string(),
    )?;
    let url = format!("http://127.0.0.1:{port}");
    let probe = format!("{url}/v3");
    srv.wait_ready(Duration::from_secs(20), || {
        proc::port_open(port)
            && http::request("GET", &probe, &[], None, &[])
                .map(|r| r.status == 200)
                .unwrap_or(false)
    })
    .map_err(|e| e.context(format!("see also {}", dir.join("error.log").display())))?;
    srv.still_alive()?;
    Ok(Front {
        port,
        url,
        dir: dir.to_path_buf(),
    })
}
