//! Logging: `tracing` events to stderr, as text for people or JSON for
//! log collectors. Stdout is left alone (the stdio transport will need it).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::LoggingConfig;
use crate::config::values::LogFormat;

/// Installs the global subscriber. Call once, before anything logs.
pub fn init(config: &LoggingConfig) {
    // The directive was parsed when the configuration was validated.
    let filter = EnvFilter::builder()
        .parse(config.filter.directive())
        .expect("log filter validated with the configuration");
    let registry = tracing_subscriber::registry().with(filter);
    match config.format {
        LogFormat::Text => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(std::io::stderr)
                    .with_ansi(std::io::stderr().is_terminal()),
            )
            .init(),
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(false)
                    .with_writer(std::io::stderr),
            )
            .init(),
    }
}
