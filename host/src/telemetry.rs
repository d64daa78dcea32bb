//! Logging: `tracing` events to stderr, as text for people or JSON for
//! log collectors. Stdout is left alone (the stdio transport will need it).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::LoggingConfig;
use crate::config::values::LogFormat;

/// Installs the global subscriber. Call once, before anything logs. With
/// `tracer`, kube-mcp's spans (target [`crate::traces::TARGET`]) are exported
/// through it; they never show in the log lines.
pub fn init(config: &LoggingConfig, tracer: Option<opentelemetry_sdk::trace::Tracer>) {
    use tracing_subscriber::Layer as _;
    // The directive was parsed when the configuration was validated.
    let filter = || {
        EnvFilter::builder()
            .parse(format!(
                "{},{}=off",
                config.filter.directive(),
                crate::traces::TARGET
            ))
            .expect("log filter validated with the configuration")
    };
    let spans = tracer.map(|tracer| {
        tracing_opentelemetry::layer()
            .with_tracer(tracer)
            .with_filter(
                tracing_subscriber::filter::Targets::new()
                    .with_target("kube_mcp", tracing::Level::INFO),
            )
    });
    let registry = tracing_subscriber::registry().with(spans);
    match config.format {
        LogFormat::Text => {
            let ansi = std::io::stderr().is_terminal();
            registry
                .with(
                    tracing_subscriber::fmt::layer()
                        .with_writer(OneLine::new(std::io::stderr, ansi))
                        .with_ansi(ansi)
                        .with_filter(filter()),
                )
                .init()
        }
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(false)
                    .with_span_list(false)
                    .with_writer(std::io::stderr)
                    .with_filter(filter()),
            )
            .init(),
    }
}

/// A writer for text logs in which one event is one line: control
/// characters inside an event (a newline in a plugin's message or a token's
/// claim) are written escaped (`\n`, `\x1b`), so nobody who can put text in
/// a log line can forge the next one or drive the terminal. The formatter
/// writes each event whole, ending in its one real newline. With `ansi`,
/// escape sequences are the formatter's own colours and pass.
#[derive(Clone, Copy)]
pub struct OneLine<M> {
    inner: M,
    ansi: bool,
}

impl<M> OneLine<M> {
    pub fn new(inner: M, ansi: bool) -> Self {
        OneLine { inner, ansi }
    }
}

impl<'a, M: tracing_subscriber::fmt::MakeWriter<'a>> tracing_subscriber::fmt::MakeWriter<'a>
    for OneLine<M>
{
    type Writer = OneLineWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        OneLineWriter {
            inner: self.inner.make_writer(),
            ansi: self.ansi,
        }
    }
}

pub struct OneLineWriter<W> {
    inner: W,
    ansi: bool,
}

impl<W: std::io::Write> std::io::Write for OneLineWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let body = buf.strip_suffix(b"\n").unwrap_or(buf);
        let mut out = Vec::with_capacity(buf.len() + 16);
        for &b in body {
            match b {
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.push(b),
                0x1b if self.ansi => out.push(b),
                0..=0x1f | 0x7f => out.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
                _ => out.push(b),
            }
        }
        if body.len() < buf.len() {
            out.push(b'\n');
        }
        self.inner.write_all(&out)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_message_cannot_forge_a_log_line_or_drive_the_terminal() {
        let buffer = Buffer::default();
        let sink = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(OneLine::new(move || sink.clone(), false))
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let claim = "alice\n2026-12-01T00:00:00Z  INFO kube_mcp::audit: admin logged in";
            tracing::info!(reason = %claim, "request refused: {}", "a\r\x1b[2Jb");
            tracing::info!("second");
        });
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(lines[0].contains(r"alice\n2026-12-01"), "{}", lines[0]);
        assert!(
            !lines[0].contains('\x1b') && !lines[0].contains('\r'),
            "{:?}",
            lines[0]
        );
        assert!(lines[1].ends_with("second"));
    }
}
