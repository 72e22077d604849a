//! Why `ksa` stops, and the exit code for each reason; and [`say`], the one way `ksa` writes
//! a line to stderr.

use std::io::Write as _;

use keystoneauth::Error;

/// Why `ksa` stops.
#[derive(Debug)]
pub enum Failure {
    /// Bad usage (exit 2).
    Usage(String),
    /// A keystoneauth error (exit 1).
    Ks(Error),
    /// Anything else (exit 1).
    Msg(String),
    /// An HTTP request answered with a failure status; the body was printed (exit 1).
    Status,
    /// Standard output could not be written (exit 1): a closed pipe (`ksa … | head`) quietly,
    /// anything else (a full disk) with a message.
    Output(std::io::Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        match &e {
            Error::OptionError(m) if m.starts_with("unknown option --") => {
                Failure::Usage(m.clone())
            }
            _ => Failure::Ks(e),
        }
    }
}

/// A command's result.
pub type Res<T> = Result<T, Failure>;

/// The text on one line: every run of whitespace (newlines included) becomes one space.
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Write `line` and a newline to stderr. A failure to write (stderr closed, or on a full
/// disk) is ignored: there is nowhere else to say it, and `eprintln!` would panic (and, with
/// `panic = "abort"`, kill ksa with SIGABRT).
///
/// Control characters in `line` (from a server's error message or reason, a header, a
/// catalog URL) are written as escapes (`\u{1b}`, `\n`): a line cannot drive the terminal
/// or pass for two lines.
pub fn say(line: &str) {
    let line = keystoneauth::redact::escape_controls(line);
    let mut text = String::with_capacity(line.len() + 1);
    text.push_str(&line);
    text.push('\n');
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// True for the error of writing into a pipe nobody reads any more.
fn is_closed_pipe(e: &(dyn std::error::Error + 'static)) -> bool {
    e.downcast_ref::<std::io::Error>()
        .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}

impl Failure {
    /// Print the failure (one `ksa: …` line on stderr, unless the output already said it or
    /// cannot be written) and return the exit code.
    pub fn report(self) -> i32 {
        match self {
            Failure::Usage(m) => {
                say(&format!("ksa: {}", one_line(&m)));
                2
            }
            // A body streamed into a closed pipe (`ksa request … -o - | head`).
            Failure::Ks(Error::Io { source, .. }) if is_closed_pipe(&*source) => 1,
            Failure::Ks(e) => {
                say(&format!("ksa: {}", one_line(&e.to_string())));
                1
            }
            Failure::Msg(m) => {
                say(&format!("ksa: {}", one_line(&m)));
                1
            }
            Failure::Status => 1,
            Failure::Output(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 1,
            Failure::Output(e) => {
                say(&format!("ksa: cannot write the output: {e}"));
                1
            }
        }
    }
}
