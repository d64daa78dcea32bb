//! OpenTelemetry traces: spans over OTLP/HTTP to a collector, off unless
//! `tracing.otlpEndpoint` is set.
//!
//! Spans are ordinary `tracing` spans of the target `kube_mcp::traces`; the
//! `tracing-opentelemetry` layer [`crate::telemetry`] installs turns them into
//! OpenTelemetry spans. A request's span is the child of the W3C trace
//! context its `traceparent` header carries ([`trace_requests`]); the MCP
//! handlers run in rmcp's own tasks, so they take that span from the
//! request's extensions ([`RequestTrace`]) as their explicit parent. Below a
//! tool call, spans nest by the current span (the plugin call's future is
//! instrumented, and host imports run inside its polls).

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider, Tracer};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The target of every span kube-mcp exports.
pub const TARGET: &str = "kube_mcp::traces";

/// `tracing.*`.
#[derive(Debug, Clone, PartialEq)]
pub struct TracingConfig {
    /// The collector's OTLP/HTTP base URL; `None`: tracing is off.
    pub otlp_endpoint: Option<url::Url>,
    /// The spans' `service.name`.
    pub service_name: String,
    /// Share of the traces that start here to record; a request's
    /// `traceparent` decides for its own trace.
    pub sample_ratio: f64,
}

impl Default for TracingConfig {
    fn default() -> Self {
        TracingConfig {
            otlp_endpoint: None,
            service_name: "kube-mcp".to_owned(),
            sample_ratio: 1.0,
        }
    }
}

/// The exporting side: spans batched and sent from a thread of their own.
pub struct Traces {
    provider: SdkTracerProvider,
}

impl Traces {
    /// Starts exporting to the configured collector; `None` when tracing is
    /// off. Call before the async runtime starts: the exporter's blocking
    /// HTTP client must not be made inside it.
    pub fn start(config: &TracingConfig) -> Result<Option<Traces>, String> {
        let Some(endpoint) = &config.otlp_endpoint else {
            return Ok(None);
        };
        let url = endpoint
            .join("v1/traces")
            .map_err(|e| format!("tracing.otlpEndpoint: {e}"))?;
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_endpoint(url.as_str())
            .with_timeout(std::time::Duration::from_secs(5))
            .build()
            .map_err(|e| format!("cannot set up the OTLP exporter to {url}: {e}"))?;
        let resource = opentelemetry_sdk::Resource::builder()
            .with_service_name(config.service_name.clone())
            .build();
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(resource)
            .with_sampler(Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(
                config.sample_ratio,
            ))))
            .build();
        Ok(Some(Traces { provider }))
    }

    pub fn tracer(&self) -> Tracer {
        self.provider.tracer("kube-mcp")
    }

    /// Sends what is still batched; call once serving has ended.
    pub fn shutdown(&self) {
        if let Err(e) = self.provider.shutdown() {
            eprintln!("kube-mcp: could not send the last spans: {e}");
        }
    }
}

/// The span of one HTTP request, and the trace id its `traceparent` gave
/// (kept for the audit line when spans are not exported).
#[derive(Debug, Clone)]
pub struct RequestTrace {
    pub span: tracing::Span,
    remote_trace_id: Option<String>,
}

impl RequestTrace {
    /// The trace this request belongs to: its exported span's, or the one
    /// its `traceparent` named.
    pub fn trace_id(&self) -> Option<String> {
        trace_id_of(&self.span).or_else(|| self.remote_trace_id.clone())
    }
}

/// The trace id of `span`, when it is exported.
pub fn trace_id_of(span: &tracing::Span) -> Option<String> {
    let context = span.context();
    let span_context = context.span().span_context().clone();
    span_context
        .is_valid()
        .then(|| span_context.trace_id().to_string())
}

/// The trace id of the span the caller is in (guest log lines).
pub fn current_trace_id() -> Option<String> {
    trace_id_of(&tracing::Span::current())
}

/// Middleware: the request's span, the child of its `traceparent`, kept in
/// its extensions for the handlers.
pub async fn trace_requests(mut request: Request, next: Next) -> Response {
    let remote = TraceContextPropagator::new().extract(&Headers(request.headers()));
    let remote_span = remote.span().span_context().clone();
    let remote_trace_id = remote_span
        .is_valid()
        .then(|| remote_span.trace_id().to_string());
    let mcp_method = request
        .headers()
        .get("mcp-method")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    // An HTTP server span, named as OpenTelemetry's HTTP conventions say.
    let span = tracing::info_span!(
        target: TARGET,
        "mcp.request",
        otel.name = %format!("{} {}", request.method(), request.uri().path()),
        otel.kind = "server",
        http.request.method = %request.method(),
        url.path = %request.uri().path(),
        mcp.method.name = (!mcp_method.is_empty()).then_some(mcp_method.as_str()),
        http.response.status_code = tracing::field::Empty,
    );
    if remote_trace_id.is_some() {
        let _ = span.set_parent(remote);
    }
    request.extensions_mut().insert(RequestTrace {
        span: span.clone(),
        remote_trace_id,
    });
    let response = next.run(request).instrument(span.clone()).await;
    span.record("http.response.status_code", response.status().as_u16());
    response
}

struct Headers<'a>(&'a axum::http::HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_traceparent_names_the_trace_even_when_nothing_is_exported() {
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
                .parse()
                .unwrap(),
        );
        let remote = TraceContextPropagator::new().extract(&Headers(&headers));
        let span = remote.span().span_context().clone();
        assert!(span.is_valid());
        assert_eq!(
            span.trace_id().to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        let trace = RequestTrace {
            span: tracing::Span::none(),
            remote_trace_id: Some(span.trace_id().to_string()),
        };
        assert_eq!(
            trace.trace_id().as_deref(),
            Some("4bf92f3577b34da6a3ce929d0e0e4736")
        );
    }

    #[test]
    fn a_malformed_traceparent_is_no_parent() {
        let mut headers = axum::http::HeaderMap::new();
        headers.insert("traceparent", "00-zz-00f067aa0ba902b7-01".parse().unwrap());
        let remote = TraceContextPropagator::new().extract(&Headers(&headers));
        assert!(!remote.span().span_context().is_valid());
    }

    #[test]
    fn tracing_off_starts_nothing() {
        assert!(Traces::start(&TracingConfig::default()).unwrap().is_none());
    }
}
