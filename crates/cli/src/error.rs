//! Why `ksa` stops, and the exit code for each reason.

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

impl Failure {
    /// Print the failure (one `ksa: …` line on stderr, unless the output already said it)
    /// and return the exit code.
    pub fn report(self) -> i32 {
        match self {
            Failure::Usage(m) => {
                eprintln!("ksa: {}", one_line(&m));
                2
            }
            Failure::Ks(e) => {
                eprintln!("ksa: {}", one_line(&e.to_string()));
                1
            }
            Failure::Msg(m) => {
                eprintln!("ksa: {}", one_line(&m));
                1
            }
            Failure::Status => 1,
        }
    }
}
