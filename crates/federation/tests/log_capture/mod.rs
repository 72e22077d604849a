//! Every log line of the test binary, for the secret-leak tests. Each of those tests has a
//! binary of its own: the subscriber is the process's global one (a thread-local one misses
//! lines logged on the runtime's other threads).

use std::sync::{Arc, Mutex};

/// What the global subscriber wrote.
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    /// Everything logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for Logs {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Install a global subscriber at TRACE level that writes into the returned buffer.
pub fn capture_all_logs() -> Logs {
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("the first global subscriber");
    logs
}
