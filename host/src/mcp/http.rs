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
