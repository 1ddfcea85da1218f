//! Structured logs: one line per request (method, route, status, request id, time), and errors
//! with their causes. API keys, tokens and bodies are never logged.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

use crate::config::{LogArgs, LogFormat};

/// Installs the global subscriber. Writes to stderr, so command output on stdout stays clean.
pub fn init(args: &LogArgs) {
    let filter = EnvFilter::try_new(&args.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_span_events(FmtSpan::CLOSE)
        // A log line that cannot be written (stderr in a file on a full disk) is dropped:
        // reporting it would print to stderr, which panics when that fails too.
        .log_internal_errors(false);
    // A second call (tests start many servers in one process) keeps the first subscriber.
    let _ = match args.log_format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().with_current_span(true).try_init(),
    };
}
