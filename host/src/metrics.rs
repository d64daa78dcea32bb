//! Prometheus metrics, served on their own listener (`--metrics-listen`) so
//! they are never exposed on the public port.
//!
//! Counters that other modules already keep (plugin loads, compilations,
//! live sessions) are read when Prometheus scrapes, not duplicated.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::plugins::PluginHost;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub route: String,
    /// One of the standard methods, or `other` ([`method_label`]).
    pub method: &'static str,
    pub status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CallLabels {
    pub tool: String,
    pub plugin: String,
    pub outcome: Outcome,
}

/// How a tool call ended: the `outcome` label, and the audit line's.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq)]
pub enum Outcome {
    /// A result without `isError`.
    Ok,
    /// A result with `isError`.
    ToolError,
    /// The plugin trapped or hit a limit.
    Failed,
    /// The request deadline passed.
    Deadline,
    /// The call stopped at questions for a stateless client.
    InputRequired,
    /// The call went on as a task.
    Task,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::ToolError => "tool_error",
            Outcome::Failed => "failed",
            Outcome::Deadline => "deadline",
            Outcome::InputRequired => "input_required",
            Outcome::Task => "task",
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl prometheus_client::encoding::EncodeLabelValue for Outcome {
    fn encode(
        &self,
        encoder: &mut prometheus_client::encoding::LabelValueEncoder,
    ) -> std::fmt::Result {
        std::fmt::Write::write_str(encoder, self.as_str())
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RefusalLabels {
    pub plugin: String,
    /// `unsigned`, `untrusted`, `bad_signature`, `digest_mismatch`,
    /// `tampered`, `unreachable`, `not_found`, `denied`, `invalid`, `load`.
    pub reason: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SourceLabels {
    pub plugin: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LatencyLabels {
    pub tool: String,
    pub plugin: String,
}

/// Every metric the server exports.
pub struct Metrics {
    registry: Registry,
    http_requests: Family<HttpLabels, Counter>,
    tool_calls: Family<CallLabels, Counter>,
    tool_call_seconds: Family<LatencyLabels, Histogram>,
    sessions: Gauge,
    plugins_loaded: Gauge,
    reloads: Counter,
    loads: Counter,
    load_failures: Counter,
    compilations: Counter,
    refusals: Family<RefusalLabels, Counter>,
    sources_ready: Family<SourceLabels, Gauge>,
    in_flight: Gauge,
    alive_tasks: Gauge,
    resident_bytes: Gauge,
    open_fds: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut root = Registry::default();
        // The process's own resources, under the names every Prometheus
        // client library uses, so existing dashboards find them.
        let resident_bytes = Gauge::default();
        root.register(
            "process_resident_memory_bytes",
            "Resident memory size in bytes",
            resident_bytes.clone(),
        );
        let open_fds = Gauge::default();
        root.register(
            "process_open_fds",
            "Number of open file descriptors",
            open_fds.clone(),
        );
        let registry = root.sub_registry_with_prefix("kube_mcp");
        let http_requests = Family::<HttpLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route, method and status",
            http_requests.clone(),
        );
        let tool_calls = Family::<CallLabels, Counter>::default();
        registry.register(
            "tool_calls",
            "Tool calls by tool, plugin and outcome",
            tool_calls.clone(),
        );
        let tool_call_seconds = Family::<LatencyLabels, Histogram>::new_with_constructor(|| {
            // 100 µs to ~26 s.
            Histogram::new(exponential_buckets(0.0001, 4.0, 10))
        });
        registry.register(
            "tool_call_duration_seconds",
            "Tool call latency, from request to result",
            tool_call_seconds.clone(),
        );
        let sessions = Gauge::default();
        registry.register("sessions", "Open MCP sessions", sessions.clone());
        let plugins_loaded = Gauge::default();
        registry.register(
            "plugins",
            "Plugins currently loaded",
            plugins_loaded.clone(),
        );
        let reloads = Counter::default();
        registry.register(
            "plugin_reloads",
            "Scans of the plugins directory",
            reloads.clone(),
        );
        let loads = Counter::default();
        registry.register(
            "plugin_loads",
            "Plugin files loaded (new or changed)",
            loads.clone(),
        );
        let load_failures = Counter::default();
        registry.register(
            "plugin_load_failures",
            "Plugin files that failed to load",
            load_failures.clone(),
        );
        let compilations = Counter::default();
        registry.register(
            "plugin_compilations",
            "Components compiled (not found in the code cache)",
            compilations.clone(),
        );
        let refusals = Family::<RefusalLabels, Counter>::default();
        registry.register(
            "plugin_refusals",
            "Plugins refused (untrusted, tampered, unreachable, not loadable), by plugin and reason",
            refusals.clone(),
        );
        let sources_ready = Family::<SourceLabels, Gauge>::default();
        registry.register(
            "plugin_source_ready",
            "Whether a plugin from a registry (plugins.sources) is serving (1) or not yet (0)",
            sources_ready.clone(),
        );
        let in_flight = Gauge::default();
        registry.register(
            "in_flight_requests",
            "MCP requests being served now (what mcp.maxInFlight bounds)",
            in_flight.clone(),
        );
        let alive_tasks = Gauge::default();
        registry.register(
            "runtime_alive_tasks",
            "Tokio tasks alive now (a number that only grows is a leak)",
            alive_tasks.clone(),
        );
        Metrics {
            refusals,
            sources_ready,
            registry: root,
            in_flight,
            alive_tasks,
            resident_bytes,
            open_fds,
            http_requests,
            tool_calls,
            tool_call_seconds,
            sessions,
            plugins_loaded,
            reloads,
            loads,
            load_failures,
            compilations,
        }
    }
}

impl Metrics {
    /// Records one tool call.
    pub fn tool_call(&self, tool: &str, plugin: &str, outcome: Outcome, started: Instant) {
        self.tool_calls
            .get_or_create(&CallLabels {
                tool: tool.to_owned(),
                plugin: plugin.to_owned(),
                outcome,
            })
            .inc();
        self.tool_call_seconds
            .get_or_create(&LatencyLabels {
                tool: tool.to_owned(),
                plugin: plugin.to_owned(),
            })
            .observe(started.elapsed().as_secs_f64());
    }

    /// The text exposition, with the counters read from their owners now.
    pub fn encode(&self, plugins: &PluginHost, now: Gauges) -> String {
        let stats = plugins.stats();
        // Counters only move forward: add what happened since the last scrape.
        let catch_up = |counter: &Counter, total: u64| {
            let seen = counter.get();
            if total > seen {
                counter.inc_by(total - seen);
            }
        };
        catch_up(&self.reloads, stats.reloads.load(Ordering::Relaxed));
        catch_up(&self.loads, stats.loaded.load(Ordering::Relaxed));
        catch_up(&self.load_failures, stats.failed.load(Ordering::Relaxed));
        catch_up(&self.compilations, plugins.runtime().compilations().0);
        for ((plugin, reason), total) in stats.refusals.lock().expect("refusals lock").iter() {
            let labels = RefusalLabels {
                plugin: plugin.clone(),
                reason: (*reason).to_owned(),
            };
            catch_up(&self.refusals.get_or_create(&labels), *total);
        }
        for (plugin, ready) in stats.sources.lock().expect("sources lock").iter() {
            let labels = SourceLabels {
                plugin: plugin.clone(),
            };
            self.sources_ready
                .get_or_create(&labels)
                .set(i64::from(*ready));
        }
        self.plugins_loaded
            .set(plugins.registry().plugins().len() as i64);
        self.sessions.set(now.open_sessions as i64);
        self.in_flight.set(now.in_flight as i64);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            self.alive_tasks
                .set(runtime.metrics().num_alive_tasks() as i64);
        }
        let process = ProcessUsage::of_self();
        self.resident_bytes.set(process.resident_bytes as i64);
        self.open_fds.set(process.open_fds as i64);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String cannot fail");
        text
    }
}

/// Gauges other modules own, read when Prometheus scrapes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Gauges {
    pub open_sessions: usize,
    pub in_flight: usize,
}

/// What the process holds of the machine, from `/proc/self` (zero where
/// there is no procfs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProcessUsage {
    pub resident_bytes: u64,
    pub open_fds: u64,
}

impl ProcessUsage {
    pub fn of_self() -> ProcessUsage {
        let resident_bytes = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|status| resident_from_status(&status))
            .unwrap_or(0);
        // The directory's own handle, open while it is read, is not counted.
        let open_fds = std::fs::read_dir("/proc/self/fd")
            .map(|entries| entries.count().saturating_sub(1) as u64)
            .unwrap_or(0);
        ProcessUsage {
            resident_bytes,
            open_fds,
        }
    }
}

/// `VmRSS:   12345 kB` of `/proc/<pid>/status`, in bytes.
fn resident_from_status(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line
        .trim_start_matches("VmRSS:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// Counts every HTTP request by its route (the matched pattern, never the
/// raw path: unbounded label values would blow up the series count).
pub async fn track_http(
    State(metrics): State<Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = method_label(request.method());
    let response = next.run(request).await;
    metrics
        .http_requests
        .get_or_create(&HttpLabels {
            route,
            method,
            status: response.status().as_u16(),
        })
        .inc();
    response
}

/// The method as a label: a standard one by name, anything else `other`.
/// Methods are whatever a client sends; taking them as they come would let
/// anyone who reaches the port add a series per made-up method.
pub fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    const STANDARD: [(Method, &str); 9] = [
        (Method::GET, "GET"),
        (Method::POST, "POST"),
        (Method::PUT, "PUT"),
        (Method::DELETE, "DELETE"),
        (Method::HEAD, "HEAD"),
        (Method::OPTIONS, "OPTIONS"),
        (Method::PATCH, "PATCH"),
        (Method::CONNECT, "CONNECT"),
        (Method::TRACE, "TRACE"),
    ];
    STANDARD
        .iter()
        .find(|(m, _)| m == method)
        .map_or("other", |(_, name)| name)
}

/// What the metrics listener needs.
#[derive(Clone)]
pub struct Exporter {
    pub metrics: Arc<Metrics>,
    pub plugins: Arc<PluginHost>,
    /// How many MCP sessions are open and requests in flight (the
    /// protocol layer and the admission layer count them; metrics only read
    /// the counts, so they need not know those layers).
    pub gauges: Arc<dyn Fn() -> Gauges + Send + Sync>,
}

/// `GET /metrics` on the metrics listener.
pub fn router(exporter: Exporter) -> axum::Router {
    axum::Router::new()
        .route("/metrics", axum::routing::get(scrape))
        .with_state(exporter)
}

async fn scrape(State(exporter): State<Exporter>) -> impl IntoResponse {
    let text = exporter
        .metrics
        .encode(&exporter.plugins, (exporter.gauges)());
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resident_memory_is_read_from_proc_status() {
        let status = "Name:\tkube-mcp\nVmHWM:\t  99 kB\nVmRSS:\t   12345 kB\nThreads:\t4\n";
        assert_eq!(resident_from_status(status), Some(12345 * 1024));
        assert_eq!(resident_from_status("Name:\tx\n"), None);
        assert_eq!(resident_from_status("VmRSS:\tlots kB\n"), None);
    }

    #[test]
    fn the_process_gauges_see_the_files_it_holds() {
        let files: Vec<_> = (0..8)
            .map(|_| std::fs::File::open("/proc/self/status").expect("opens"))
            .collect();
        let usage = ProcessUsage::of_self();
        assert!(usage.resident_bytes > 0, "{usage:?}");
        // Stdio and the eight, at least (other tests hold files too).
        assert!(usage.open_fds >= 8 + 3, "{usage:?}");
        drop(files);
    }
    use axum::http::Method;

    #[test]
    fn standard_methods_keep_their_name_and_the_rest_are_other() {
        assert_eq!(method_label(&Method::POST), "POST");
        assert_eq!(method_label(&Method::DELETE), "DELETE");
        for made_up in ["MADEUP1", "post", "PROPFIND"] {
            assert_eq!(
                method_label(&Method::from_bytes(made_up.as_bytes()).unwrap()),
                "other"
            );
        }
    }
}
