//! MCP over Streamable HTTP: the rmcp service, with the host's limits.

use std::sync::Arc;
use std::time::Duration;

use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio_util::sync::CancellationToken;

use super::{McpHandler, Shared};

/// How the HTTP endpoint is served.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// No sessions: every request is served on its own.
    pub stateless: bool,
    /// `Host` header values accepted (DNS rebinding protection).
    pub allowed_hosts: Vec<String>,
    /// Browser origins accepted; empty accepts requests without `Origin`
    /// only.
    pub allowed_origins: Vec<String>,
    pub max_request_body: usize,
    /// The requests being served, their limit, and draining (see
    /// [`crate::in_flight`]).
    pub in_flight: Arc<crate::in_flight::InFlight>,
    /// Ends every session and stream at shutdown.
    pub shutdown: CancellationToken,
}

/// The MCP endpoint as a tower service, for `/mcp` (and `/`).
pub fn service(
    shared: Shared,
    options: HttpOptions,
) -> StreamableHttpService<McpHandler, LocalSessionManager> {
    let mut config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(!options.stateless)
        .with_json_response(options.stateless)
        .with_sse_keep_alive(Some(Duration::from_secs(15)))
        .with_allowed_hosts(options.allowed_hosts)
        .with_max_request_body_bytes(options.max_request_body)
        .with_cancellation_token(options.shutdown);
    config = if options.allowed_origins.iter().any(|o| o == "*") {
        config.disable_allowed_origins()
    } else {
        // Requests from browsers carry `Origin`; only listed ones pass.
        config
            .with_allowed_origins(options.allowed_origins)
            .enforce_origin_validation()
    };
    StreamableHttpService::new(
        move || Ok(McpHandler::new(shared.clone())),
        Arc::new(LocalSessionManager::default()),
        config,
    )
}

/// `/mcp` and `/` serving `service`: CORS for `allowed_origins` outermost
/// (so browsers can read even a 401 or a 503), then the in-flight limit
/// (shedding before any work, authentication included), then the
/// bearer-token guard when `auth` is given, then [`jsonrpc_guard`].
pub fn router(
    service: StreamableHttpService<McpHandler, LocalSessionManager>,
    max_request_body: usize,
    allowed_origins: &[String],
    auth: Option<Arc<crate::auth::Auth>>,
    in_flight: Arc<crate::in_flight::InFlight>,
) -> axum::Router {
    let mut router = axum::Router::new()
        .route_service("/mcp", service.clone())
        .route_service("/", service)
        .layer(axum::middleware::from_fn_with_state(
            max_request_body,
            jsonrpc_guard,
        ));
    if let Some(auth) = auth {
        router = router
            .layer(axum::middleware::from_fn_with_state(
                Arc::new(super::owners::SessionOwners::default()),
                super::owners::bind_sessions,
            ))
            .layer(axum::middleware::from_fn_with_state(
                auth,
                crate::auth::require_bearer,
            ));
    }
    router
        // Authentication runs inside the request's span; a shed request
        // has none (nothing of it ran).
        .layer(axum::middleware::from_fn(crate::traces::trace_requests))
        .layer(axum::middleware::from_fn_with_state(
            in_flight,
            crate::in_flight::shed,
        ))
        .layer(cors(allowed_origins))
}

/// Browsers may call from `allowed_origins` (`*`: any), sending and reading
/// the headers MCP uses.
fn cors(allowed_origins: &[String]) -> tower_http::cors::CorsLayer {
    use axum::http::{HeaderName, HeaderValue, Method, header};
    use tower_http::cors::{AllowOrigin, CorsLayer};

    let origin = if allowed_origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(
            allowed_origins
                .iter()
                .filter_map(|o| HeaderValue::from_str(o).ok()),
        )
    };
    let mcp = |name: &'static str| HeaderName::from_static(name);
    CorsLayer::new()
        .allow_origin(origin)
        .allow_methods([Method::GET, Method::POST, Method::DELETE])
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            header::ACCEPT,
            mcp("mcp-session-id"),
            mcp("mcp-protocol-version"),
            mcp("last-event-id"),
            mcp("traceparent"),
            mcp("tracestate"),
        ])
        .expose_headers([mcp("mcp-session-id"), header::WWW_AUTHENTICATE])
        .max_age(Duration::from_secs(600))
}

/// Answers a POST whose JSON body is not JSON, or not a JSON-RPC message,
/// with a JSON-RPC error (`-32700` parse error, `-32600` invalid request)
/// and HTTP 400, instead of letting it reach the protocol layer. Bodies
/// over the limit get 413 before they are read in full.
pub async fn jsonrpc_guard(
    axum::extract::State(limit): axum::extract::State<usize>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::{Method, StatusCode, header};
    use axum::response::IntoResponse;

    let is_json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"));
    if request.method() != Method::POST || !is_json {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("Payload Too Large: request body exceeds {limit} bytes"),
            )
                .into_response();
        }
    };
    let error = |code: i64, message: String| {
        let body = serde_json::json!({
            "jsonrpc": "2.0",
            "id": null,
            "error": { "code": code, "message": message },
        });
        (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
    };
    match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Err(e) => return error(-32700, format!("Parse error: {e}")),
        Ok(message) => {
            if let Err(why) = check_message(&message) {
                return error(-32600, format!("Invalid Request: {why}"));
            }
        }
    }
    next.run(axum::extract::Request::from_parts(
        parts,
        axum::body::Body::from(bytes),
    ))
    .await
}

/// Whether `message` has the shape of one JSON-RPC 2.0 request,
/// notification or response.
fn check_message(message: &serde_json::Value) -> Result<(), String> {
    use serde_json::Value;
    let Value::Object(object) = message else {
        return Err(match message {
            Value::Array(_) => "batches are not supported; send one message per request".into(),
            _ => "a message must be a JSON object".into(),
        });
    };
    if object.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err("\"jsonrpc\" must be \"2.0\"".into());
    }
    let id_ok = |id: Option<&Value>| matches!(id, Some(Value::String(_) | Value::Number(_)));
    match object.get("method") {
        Some(Value::String(_)) => {
            if object.contains_key("id") && !id_ok(object.get("id")) {
                return Err("\"id\" must be a string or a number".into());
            }
            match object.get("params") {
                None | Some(Value::Object(_)) => Ok(()),
                Some(_) => Err("\"params\" must be an object".into()),
            }
        }
        Some(_) => Err("\"method\" must be a string".into()),
        None if object.contains_key("result") || object.contains_key("error") => Ok(()),
        None => Err("a message needs a \"method\" (or a \"result\" or \"error\")".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::check_message;
    use serde_json::json;

    #[test]
    fn json_rpc_shapes() {
        for good in [
            json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}),
            json!({"jsonrpc": "2.0", "id": "a", "method": "tools/call", "params": {}}),
            json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
            json!({"jsonrpc": "2.0", "id": 3, "result": {}}),
        ] {
            assert_eq!(check_message(&good), Ok(()), "{good}");
        }
        for (bad, why) in [
            (
                json!([{"jsonrpc": "2.0", "id": 1, "method": "ping"}]),
                "batches",
            ),
            (json!("ping"), "JSON object"),
            (json!({"id": 1, "method": "ping"}), "\"jsonrpc\" must be"),
            (
                json!({"jsonrpc": "2.0", "id": null, "method": "ping"}),
                "\"id\"",
            ),
            (
                json!({"jsonrpc": "2.0", "id": 1, "method": 7}),
                "\"method\"",
            ),
            (
                json!({"jsonrpc": "2.0", "id": 1, "method": "x", "params": [1]}),
                "\"params\"",
            ),
            (json!({"jsonrpc": "2.0", "id": 1}), "needs a \"method\""),
        ] {
            let error = check_message(&bad).unwrap_err();
            assert!(error.contains(why), "{bad}: {error}");
        }
    }
}
