//! The listener, the public URL, shutdown and `mcp.*`.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use url::Url;

use super::error::{ConfigError, parse};
use super::settings::Layer;
use super::values::{
    parse_bool, parse_count, parse_duration, parse_host, parse_http_url, parse_port, parse_size,
};
use super::{
    DEFAULT_MAX_REQUEST_BODY, DEFAULT_MAX_TASKS_PER_CALLER, DEFAULT_PORT, DEFAULT_REQUEST_TIMEOUT,
    DEFAULT_SHUTDOWN_TIMEOUT, DEFAULT_TASK_TIMEOUT,
};
use crate::auth::issuer::Secret;

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// The public URL; `None` means "derive it from the bound address".
    pub base_url: Option<Url>,
    /// Browser origins allowed to call (`scheme://host[:port]`, or `*`).
    pub allowed_origins: Vec<String>,
    pub shutdown_timeout: Duration,
    /// After SIGTERM, how long to report not ready before closing the
    /// listener.
    pub shutdown_delay: Duration,
    /// Serve MCP without authentication (loopback only).
    pub no_auth: bool,
    /// Where the Prometheus metrics listener binds, if anywhere.
    pub metrics_listen: Option<SocketAddr>,
    pub mcp: McpConfig,
}

/// How MCP is served.
#[derive(Debug, Clone)]
pub struct McpConfig {
    /// No sessions: every request stands alone.
    pub stateless: bool,
    pub request_timeout: Duration,
    pub max_request_body: u64,
    /// Keys the state of multi-round-trip requests; `None`: a random key.
    pub state_key: Option<Secret>,
    /// Longest a call that goes on as a task may run.
    pub task_timeout: Duration,
    /// Most running tasks per caller.
    pub max_tasks_per_caller: usize,
    /// Most requests served at once (see [`crate::in_flight`]).
    pub max_in_flight: usize,
    /// Most calls of one caller at once, across plugins.
    pub max_calls_per_caller: usize,
    /// Most calls of one plugin at once.
    pub max_calls_per_plugin: usize,
}

/// The listener, the public URL, shutdown and `mcp.*`.
pub(super) fn server_section(layer: &mut Layer) -> Result<ServerConfig, ConfigError> {
    let host =
        parse(layer.host.take(), parse_host)?.map_or(IpAddr::from([127, 0, 0, 1]), |h| h.value);
    let port = parse(layer.port.take(), parse_port)?.map_or(DEFAULT_PORT, |p| p.value);
    let base_url = parse(layer.base_url.take(), parse_http_url)?.map(|u| u.value);
    let allowed_origins = match layer.allowed_origins.take() {
        Some(list) => list.try_map(parse_origins)?.value,
        None => Vec::new(),
    };
    let shutdown_timeout = parse(layer.shutdown_timeout.take(), parse_duration)?
        .map_or(DEFAULT_SHUTDOWN_TIMEOUT, |d| d.value);
    let shutdown_delay = parse(layer.shutdown_delay.take(), parse_duration)?
        .map_or(std::time::Duration::ZERO, |d| d.value);
    let no_auth = parse(layer.no_auth.take(), parse_bool)?;
    if let Some(no_auth) = &no_auth
        && no_auth.value
        && !host.is_loopback()
    {
        return Err(ConfigError::Invalid {
            origin: no_auth.origin.clone(),
            message: format!(
                "serving without authentication is only allowed on a loopback address, \
                 and the server listens on {host}"
            ),
        });
    }
    let metrics_listen = parse(layer.metrics_listen.take(), |s| {
        s.parse::<SocketAddr>()
            .map_err(|_| format!("'{s}' is not an address:port such as 0.0.0.0:9090"))
    })?
    .map(|a| a.value);
    let mcp = McpConfig {
        stateless: parse(layer.stateless.take(), parse_bool)?.is_some_and(|b| b.value),
        request_timeout: parse(layer.request_timeout.take(), parse_duration)?
            .map_or(DEFAULT_REQUEST_TIMEOUT, |d| d.value),
        max_request_body: parse(layer.max_request_body.take(), parse_size)?
            .map_or(DEFAULT_MAX_REQUEST_BODY, |s| s.value),
        state_key: parse(layer.state_key_file.take(), read_state_key)?.map(|k| k.value),
        task_timeout: parse(layer.task_timeout.take(), parse_duration)?
            .map_or(DEFAULT_TASK_TIMEOUT, |d| d.value),
        max_tasks_per_caller: parse(layer.max_tasks_per_caller.take(), parse_count)?
            .map_or(DEFAULT_MAX_TASKS_PER_CALLER, |n| n.value),
        max_in_flight: parse(layer.max_in_flight.take(), parse_count)?
            .map_or(crate::in_flight::DEFAULT_MAX_IN_FLIGHT, |n| n.value),
        max_calls_per_caller: parse(layer.max_calls_per_caller.take(), parse_count)?
            .map_or(crate::plugins::busy::MAX_CALLS_PER_CALLER, |n| n.value),
        max_calls_per_plugin: parse(layer.max_calls_per_plugin.take(), parse_count)?
            .map_or(crate::plugins::busy::MAX_CALLS_PER_PLUGIN, |n| n.value),
    };
    Ok(ServerConfig {
        listen: SocketAddr::new(host, port),
        base_url,
        allowed_origins,
        shutdown_timeout,
        shutdown_delay,
        no_auth: no_auth.is_some_and(|n| n.value),
        metrics_listen,
        mcp,
    })
}

pub(super) fn parse_origins(items: Vec<String>) -> Result<Vec<String>, String> {
    items
        .into_iter()
        .map(|item| {
            if item == "*" {
                return Ok(item);
            }
            let url = parse_http_url(&item)?;
            if url.path() != "/" {
                return Err(format!("'{item}' is not an origin (scheme://host[:port])"));
            }
            Ok(url.origin().ascii_serialization())
        })
        .collect()
}

/// The request-state key in file `path`: its bytes, less surrounding
/// whitespace (a trailing newline, say).
fn read_state_key(path: &str) -> Result<Secret, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read '{path}': {e}"))?;
    let key = bytes.trim_ascii().to_vec();
    let min = crate::mcp::MIN_STATE_KEY_BYTES;
    if key.len() < min {
        return Err(format!(
            "'{path}' holds {} bytes; a request-state key needs at least {min} \
             (e.g. `head -c 32 /dev/urandom | base64 > FILE`)",
            key.len()
        ));
    }
    Ok(Secret(key))
}
