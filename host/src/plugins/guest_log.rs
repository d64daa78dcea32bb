//! A plugin's stdout and stderr, turned into log lines tagged with the
//! plugin, and rate-limited so a chatty or hostile plugin cannot flood the
//! server's log.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};

/// Lines per second each plugin may log on average, and the burst allowed.
const LINES_PER_SECOND: f64 = 20.0;
const BURST: f64 = 200.0;
/// A line longer than this is cut (and says so).
const MAX_LINE: usize = 4096;

/// A number for each instance the server starts, unique in the process:
/// the `call` field of every log line the instance writes, so the lines of
/// one call can be told from those of calls running beside it.
pub fn next_call() -> u64 {
    static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// A token bucket shared by every call of one plugin.
#[derive(Debug)]
pub struct LogBudget {
    state: Mutex<Bucket>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    refilled: Instant,
    dropped: u64,
}

impl Default for LogBudget {
    fn default() -> Self {
        LogBudget {
            state: Mutex::new(Bucket {
                tokens: BURST,
                refilled: Instant::now(),
                dropped: 0,
            }),
        }
    }
}

impl LogBudget {
    /// Takes one line's token. `Some(n)` when allowed, where `n` lines were
    /// dropped since the last allowed one (to report them).
    pub fn take(&self) -> Option<u64> {
        let mut b = self.state.lock().expect("log budget lock");
        let now = Instant::now();
        let refill = now.duration_since(b.refilled).as_secs_f64() * LINES_PER_SECOND;
        b.tokens = (b.tokens + refill).min(BURST);
        b.refilled = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Some(std::mem::take(&mut b.dropped))
        } else {
            b.dropped += 1;
            None
        }
    }
}

impl LogBudget {
    /// Reports lines dropped and not yet reported (a burst that ended the
    /// call would otherwise go uncounted); called when a call ends.
    pub fn report_dropped(&self, plugin: &str) {
        let dropped = std::mem::take(&mut self.state.lock().expect("log budget lock").dropped);
        report(plugin, dropped);
    }
}

/// The warning for `dropped` lines of `plugin`, if any.
pub fn report(plugin: &str, dropped: u64) {
    if dropped > 0 {
        tracing::warn!(target: "kube_mcp::plugin", plugin, dropped, "plugin output over its rate limit was dropped");
    }
}

/// A plugin's line as written to the log: cut at [`MAX_LINE`] bytes (at a
/// character boundary), and whether it was cut.
pub fn cut(line: &str) -> (&str, bool) {
    if line.len() <= MAX_LINE {
        return (line, false);
    }
    let mut end = MAX_LINE;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    (&line[..end], true)
}

/// Which stream a line came from.
#[derive(Debug, Clone, Copy)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// The `StdoutStream` given to the guest's WASI context.
#[derive(Clone)]
pub struct GuestLog {
    plugin: Arc<str>,
    /// The call the instance runs (see [`next_call`]).
    call: u64,
    stream: Stream,
    budget: Arc<LogBudget>,
}

impl GuestLog {
    pub fn new(plugin: Arc<str>, call: u64, stream: Stream, budget: Arc<LogBudget>) -> Self {
        GuestLog {
            plugin,
            call,
            stream,
            budget,
        }
    }

    fn emit(&self, line: &[u8]) {
        let Some(dropped) = self.budget.take() else {
            return;
        };
        let plugin = &*self.plugin;
        report(plugin, dropped);
        let truncated = line.len() > MAX_LINE;
        let text = String::from_utf8_lossy(&line[..line.len().min(MAX_LINE)]);
        let text = text.trim_end_matches('\r');
        let call = self.call;
        let trace_id = crate::traces::current_trace_id();
        let trace_id = trace_id.as_deref();
        match self.stream {
            Stream::Stdout => {
                tracing::info!(target: "kube_mcp::plugin", plugin, call, stream = "stdout", truncated, trace_id, "{text}")
            }
            Stream::Stderr => {
                tracing::warn!(target: "kube_mcp::plugin", plugin, call, stream = "stderr", truncated, trace_id, "{text}")
            }
        }
    }
}

impl IsTerminal for GuestLog {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for GuestLog {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(LineWriter {
            log: self.clone(),
            pending: Vec::new(),
        })
    }
}

/// Splits writes into lines; a partial last line is emitted on drop.
struct LineWriter {
    log: GuestLog,
    pending: Vec<u8>,
}

impl AsyncWrite for LineWriter {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = &mut *self;
        for &byte in buf {
            if byte == b'\n' {
                this.log.emit(&this.pending);
                this.pending.clear();
            } else if this.pending.len() <= MAX_LINE {
                this.pending.push(byte);
            }
        }
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl Drop for LineWriter {
    fn drop(&mut self) {
        if !self.pending.is_empty() {
            self.log.emit(&self.pending);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_allows_a_burst_then_drops_and_counts() {
        let budget = LogBudget::default();
        for _ in 0..BURST as usize {
            assert_eq!(budget.take(), Some(0));
        }
        assert_eq!(budget.take(), None);
        assert_eq!(budget.take(), None);
        // After a pause the bucket refills and reports what was dropped.
        std::thread::sleep(std::time::Duration::from_millis(120));
        assert_eq!(budget.take(), Some(2));
    }

    #[test]
    fn lines_dropped_at_the_end_of_a_burst_are_still_reported() {
        let budget = LogBudget::default();
        for _ in 0..BURST as usize + 5 {
            budget.take();
        }
        assert_eq!(budget.state.lock().unwrap().dropped, 5);
        budget.report_dropped("p");
        assert_eq!(budget.state.lock().unwrap().dropped, 0);
    }
}
