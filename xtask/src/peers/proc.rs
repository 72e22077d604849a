//! Process plumbing for the peers: background servers with recorded PIDs, bounded waits,
//! commands with a time limit, and `@NAME@` templates.

use anyhow::{anyhow, bail, Context, Result};
use std::fs;
use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A server started in the background. Its PID and a piece of its command line are written
/// to `<dir>/pid` so `peers down` can stop exactly that process later.
pub struct Server {
    pub name: &'static str,
    pub child: Child,
    pub log: PathBuf,
}

/// Starts `cmd` in its own process group with stdout/stderr appended to `log`, and records
/// `<pid>\n<needle>` in `pid_file`. `needle` must appear in the process's command line.
pub fn spawn(
    name: &'static str,
    mut cmd: Command,
    log: &Path,
    pid_file: &Path,
    needle: &str,
) -> Result<Server> {
    let out = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("open {}", log.display()))?;
    let err = out.try_clone()?;
    cmd.stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0);
    let shown = format!("{cmd:?}");
    let child = cmd
        .spawn()
        .with_context(|| format!("{name}: cannot start {shown}"))?;
    fs::write(pid_file, format!("{}\n{needle}\n", child.id()))?;
    Ok(Server {
        name,
        child,
        log: log.to_path_buf(),
    })
}

impl Server {
    /// Polls `ready` every 100 ms for at most `limit`. Fails (with the log's path and tail)
    /// when the process exits first or the time runs out.
    pub fn wait_ready(&mut self, limit: Duration, mut ready: impl FnMut() -> bool) -> Result<()> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "{} exited ({status}) before it was ready; log {}:\n{}",
                    self.name,
                    self.log.display(),
                    tail_file(&self.log, 30)
                );
            }
            if ready() {
                return Ok(());
            }
            if start.elapsed() >= limit {
                bail!(
                    "{} was not ready after {:?}; log {}:\n{}",
                    self.name,
                    limit,
                    self.log.display(),
                    tail_file(&self.log, 30)
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Fails when the process has already exited (e.g. a port clash noticed late).
    pub fn still_alive(&mut self) -> Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!(
                "{} exited ({status}); log {}:\n{}",
                self.name,
                self.log.display(),
                tail_file(&self.log, 30)
            );
        }
        Ok(())
    }
}

/// Reads a pid file written by [`spawn`]: `(pid, needle)`.
pub fn read_pid_file(pid_file: &Path) -> Option<(u32, String)> {
    let text = fs::read_to_string(pid_file).ok()?;
    let mut lines = text.lines();
    let pid = lines.next()?.trim().parse().ok()?;
    let needle = lines.next().unwrap_or("").to_string();
    Some((pid, needle))
}

/// Is `pid` alive (not a zombie) with `needle` in its command line?
pub fn alive(pid: u32, needle: &str) -> bool {
    let Ok(cmdline) = fs::read(format!("/proc/{pid}/cmdline")) else {
        return false;
    };
    if let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) {
        if let Some((_, rest)) = stat.rsplit_once(')') {
            if rest.trim_start().starts_with('Z') {
                return false;
            }
        }
    }
    String::from_utf8_lossy(&cmdline).contains(needle)
}

fn signal(pid: u32, sig: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Stops the process recorded in `pid_file` (TERM, then KILL after `grace`), then removes
/// the file. Returns the PID when a live process was stopped.
pub fn stop(pid_file: &Path, grace: Duration) -> Option<u32> {
    let (pid, needle) = read_pid_file(pid_file)?;
    let _ = fs::remove_file(pid_file);
    if !alive(pid, &needle) {
        return None;
    }
    signal(pid, "TERM");
    let start = Instant::now();
    while alive(pid, &needle) {
        if start.elapsed() >= grace {
            signal(pid, "KILL");
            std::thread::sleep(Duration::from_millis(200));
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(pid)
}

/// Runs `cmd` to completion within `limit` (killed after that); fails on a non-zero exit
/// with the tail of its output. Returns stdout.
pub fn run(cmd: Command, limit: Duration) -> Result<String> {
    run_with_input(cmd, "", limit)
}

/// Like [`run`], but feeds `input` on stdin (for secrets that must not show in `ps`).
pub fn run_with_input(mut cmd: Command, input: &str, limit: Duration) -> Result<String> {
    use std::io::Write;
    let shown = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {shown}"))?;
    {
        let mut stdin = child.stdin.take().context("stdin was piped")?;
        stdin.write_all(input.as_bytes())?;
    }
    let mut so = child.stdout.take().context("stdout was piped")?;
    let mut se = child.stderr.take().context("stderr was piped")?;
    let t_out = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = so.read_to_end(&mut s);
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = se.read_to_end(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait()? {
            break st;
        }
        if start.elapsed() >= limit {
            let _ = child.kill();
            let _ = child.wait();
            bail!("{shown} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = String::from_utf8_lossy(&t_out.join().unwrap_or_default()).into_owned();
    let err = String::from_utf8_lossy(&t_err.join().unwrap_or_default()).into_owned();
    if !status.success() {
        bail!(
            "{shown} failed ({status}):\n{}",
            tail(&format!("{err}{out}"), 30)
        );
    }
    Ok(out)
}

/// The last `n` lines of `text`.
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// The last `n` lines of a file, or why it cannot be read.
pub fn tail_file(path: &Path, n: usize) -> String {
    match fs::read_to_string(path) {
        Ok(t) => tail(&t, n),
        Err(e) => format!("({}: {e})", path.display()),
    }
}

/// A free TCP port on 127.0.0.1, not in `taken` (ports chosen earlier in this run).
pub fn free_port(taken: &mut Vec<u16>) -> Result<u16> {
    for _ in 0..20 {
        let l = TcpListener::bind("127.0.0.1:0").context("bind 127.0.0.1:0")?;
        let port = l.local_addr()?.port();
        if !taken.contains(&port) {
            taken.push(port);
            return Ok(port);
        }
    }
    Err(anyhow!("no free port on 127.0.0.1"))
}

/// Does something accept TCP connections on 127.0.0.1:port?
pub fn port_open(port: u16) -> bool {
    TcpStream::connect_timeout(
        &SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_millis(300),
    )
    .is_ok()
}

/// Replaces every `@NAME@` of `vars` in `template`; fails if a placeholder is left over.
pub fn render(template: &str, vars: &[(&str, &str)]) -> Result<String> {
    let mut out = template.to_string();
    for (k, v) in vars {
        out = out.replace(&format!("@{k}@"), v);
    }
    // Any "@UPPER_CASE@" left is a placeholder nobody filled.
    let bytes = out.as_bytes();
    let mut i = 0;
    while let Some(off) = out[i..].find('@') {
        let s = i + off + 1;
        let word: String = out[s..]
            .chars()
            .take_while(|c| c.is_ascii_uppercase() || *c == '_')
            .collect();
        if !word.is_empty() && bytes.get(s + word.len()) == Some(&b'@') {
            bail!("template placeholder @{word}@ has no value");
        }
        i = s;
    }
    Ok(out)
}

/// Writes `content` to `path`, creating parent directories.
pub fn write(path: &Path, content: impl AsRef<[u8]>) -> Result<()> {
    if let Some(p) = path.parent() {
        fs::create_dir_all(p)?;
    }
    fs::write(path, content).with_context(|| format!("write {}", path.display()))
}

/// Hands `path` to the Apache worker user (www-data), mode 0600.
pub fn give_to_www_data(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o600))?;
    run(
        {
            let mut c = Command::new("chown");
            c.arg("www-data:www-data").arg(path);
            c
        },
        Duration::from_secs(10),
    )?;
    Ok(())
}

/// Makes a self-signed certificate for 127.0.0.1 / localhost (`openssl req -x509`).
pub fn self_signed_cert(cert: &Path, key: &Path, cn: &str) -> Result<()> {
    let mut c = Command::new("openssl");
    c.args([
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
    ])
    .arg("-subj")
    .arg(format!("/CN={cn}"))
    .arg("-addext")
    .arg("subjectAltName=IP:127.0.0.1,DNS:localhost")
    .arg("-keyout")
    .arg(key)
    .arg("-out")
    .arg(cert);
    run(c, Duration::from_secs(30)).map(|_| ())
}

/// Fails with a hint when a program is not on PATH.
pub fn need_program(prog: &str, hint: &str) -> Result<()> {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(prog).is_file()))
        .unwrap_or(false)
        || Path::new(prog).is_file();
    if !found {
        bail!("`{prog}` not found: {hint}");
    }
    Ok(())
}
