//! Opening the login URL in a browser: the commands of `BROWSER` (as Python's `webbrowser`),
//! then the desktop's opener.

use std::time::Duration;

/// How long a started browser opener is watched for a failure exit.
const BROWSER_WATCH: Duration = Duration::from_secs(5);

/// The commands that may open `url`, in order: each entry of `BROWSER` (as Python's
/// `webbrowser`, which keystoneauth1 uses: entries separated like `PATH`, `%s` replaced by
/// the URL or else the URL appended), then the desktop's opener.
pub(super) fn browser_commands(browser_env: Option<&str>, url: &str) -> Vec<Vec<String>> {
    let separator = if cfg!(windows) { ';' } else { ':' };
    let mut cmds: Vec<Vec<String>> = browser_env
        .unwrap_or_default()
        .split(separator)
        .filter_map(|entry| {
            let mut words: Vec<String> = entry
                .split_whitespace()
                .map(|w| w.replace("%s", url))
                .collect();
            if words.is_empty() {
                return None;
            }
            if !entry.contains("%s") {
                words.push(url.to_owned());
            }
            Some(words)
        })
        .collect();
    let desktop: &[&str] = if cfg!(target_os = "macos") {
        &["open"]
    } else if cfg!(windows) {
        &["rundll32", "url.dll,FileProtocolHandler"]
    } else {
        &["xdg-open"]
    };
    let mut d: Vec<String> = desktop.iter().map(|w| (*w).to_owned()).collect();
    d.push(url.to_owned());
    cmds.push(d);
    cmds
}

/// Run one opener: `Ok` once it exited with success or still runs after `BROWSER_WATCH`.
pub(super) async fn try_opener(cmd: &[String]) -> std::result::Result<(), String> {
    let (program, args) = cmd.split_first().ok_or("empty command")?;
    let mut child = std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("{program}: {e}"))?;
    let step = Duration::from_millis(50);
    for _ in 0..(BROWSER_WATCH.as_millis() / step.as_millis()) {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(format!("{program} exited with {status}")),
            Err(e) => return Err(format!("{program}: {e}")),
            Ok(None) => tokio::time::sleep(step).await,
        }
    }
    // Still running (a browser that stays in the foreground): take it as opened.
    Ok(())
}

/// Open `url` with the first opener that works, in the background; none is a warning.
pub(super) fn open_browser(url: &str) {
    let cmds = browser_commands(std::env::var("BROWSER").ok().as_deref(), url);
    tokio::spawn(async move {
        let mut why = Vec::new();
        for cmd in &cmds {
            match try_opener(cmd).await {
                Ok(()) => return,
                Err(e) => why.push(e),
            }
        }
        tracing::warn!(
            target: "keystoneauth::federation",
            "A browser could not be opened for you ({}).",
            why.join("; ")
        );
    });
}
