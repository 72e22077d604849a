//! Where the library's `tracing` events go: everything from DEBUG up with `--debug`, else
//! only warnings, as one `ksa: warning: …` line each.

use std::io::IsTerminal;

use crate::error::one_line;

/// `--debug`: keystoneauth's and ksa's events from DEBUG up, on stderr.
pub fn init_debug_logging() {
    use tracing_subscriber::prelude::*;
    let filter = tracing_subscriber::filter::filter_fn(|m| {
        let t = m.target();
        (t.starts_with("keystoneauth") || t.starts_with("ksa"))
            && *m.level() <= tracing::Level::DEBUG
    });
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(true)
        // Each field's text with its control characters escaped: a CR/LF or ESC from a
        // server (a catalog URL, a header, a body) cannot split a log line or drive the
        // terminal. The formatter's own colours are not fields, and stay.
        .fmt_fields(
            tracing_subscriber::fmt::format::debug_fn(|w, field, value| {
                let text = format!("{value:?}");
                let text = keystoneauth::redact::escape_controls(&text);
                if field.name() == "message" {
                    write!(w, "{text}")
                } else {
                    write!(w, "{}={text}", field.name())
                }
            })
            .delimited(" "),
        )
        // Its report of a failed write is an `eprintln!`, which panics when stderr is full.
        .log_internal_errors(false);
    let _ = tracing_subscriber::registry()
        .with(fmt.with_filter(filter))
        .try_init();
}

/// Without `--debug`, the library's warnings still reach the user, one `ksa: warning: …` line
/// each on stderr, as `openstack` shows keystoneauth1's: the device code to enter, a refresh
/// that failed, discovery that fell back, a vendor profile that was not applied.
pub fn init_warning_logging() {
    use tracing_subscriber::prelude::*;
    let filter = tracing_subscriber::filter::filter_fn(|m| {
        let t = m.target();
        (t.starts_with("keystoneauth") || t.starts_with("ksa"))
            && *m.level() <= tracing::Level::WARN
    });
    let _ = tracing_subscriber::registry()
        .with(WarningLines.with_filter(filter))
        .try_init();
}

/// Writes each event's message, and its other fields, as one `ksa: warning:` line.
struct WarningLines;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for WarningLines {
    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        struct Line(String);
        impl tracing::field::Visit for Line {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" {
                    self.0.insert_str(0, &format!("{value:?}"));
                } else {
                    self.0.push_str(&format!(" ({}: {value:?})", field.name()));
                }
            }
            fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                if field.name() == "message" {
                    self.0.insert_str(0, value);
                } else {
                    self.0.push_str(&format!(" ({}: {value})", field.name()));
                }
            }
        }
        let mut line = Line(String::new());
        event.record(&mut line);
        crate::error::say(&format!("ksa: warning: {}", one_line(&line.0)));
    }
}
