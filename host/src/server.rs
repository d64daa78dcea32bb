//! The HTTP server: routes, listening, and graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::extract::FromRef;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::trace::TraceLayer;

use crate::auth::keys::IssuerKeys;
use crate::auth::validate::{TrustedIssuer, Validator};
use crate::auth::{self, Auth};
use crate::config::{AudienceMode, Config};
use crate::health::{self, Component, Readiness};
use crate::mcp::{self, Sessions, Shared, StateKey, Tasks};
use crate::metrics::{self, Metrics};
use crate::plugins::{PluginHost, Runtime};
use crate::policy::tools::ToolPolicy;
use crate::shutdown::Signals;

/// How `serve` ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Shutdown {
    /// Every in-flight request finished within the shutdown timeout.
    Graceful,
    /// Requests were still running when the timeout (or a second signal)
    /// came; they were dropped.
    Forced,
}

/// What request handlers share. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub readiness: Readiness,
    /// The live plugins.
    pub plugins: Arc<PluginHost>,
}

impl FromRef<AppState> for Readiness {
    fn from_ref(state: &AppState) -> Readiness {
        state.readiness.clone()
    }
}

/// The routes every deployment serves without authentication.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/health", get(health::health))
        .route("/readyz", get(health::readyz))
        .with_state(state)
        .layer(TraceLayer::new_for_http())
}

/// Browser origins the MCP endpoint accepts: the configured ones, and the
/// server's own (its public URL's, and its loopback address's).
fn allowed_origins(config: &Config, local_addr: SocketAddr) -> Vec<String> {
    let mut origins = config.server.allowed_origins.clone();
    if let Some(url) = &config.server.base_url {
        origins.push(url.origin().ascii_serialization());
    }
    if local_addr.ip().is_loopback() || local_addr.ip().is_unspecified() {
        let port = local_addr.port();
        for host in ["localhost", "127.0.0.1", "[::1]"] {
            origins.push(format!("http://{host}:{port}"));
        }
    }
    origins
}

/// `Host` values the MCP endpoint accepts: the loopback names, and the host
/// of the public URL.
fn allowed_hosts(config: &Config) -> Vec<String> {
    let mut hosts: Vec<String> = ["localhost", "127.0.0.1", "[::1]", "::1"]
        .into_iter()
        .map(String::from)
        .collect();
    if let Some(host) = config.server.base_url.as_ref().and_then(|u| u.host_str()) {
        hosts.push(host.to_owned());
    }
    if !config.server.listen.ip().is_unspecified() && !config.server.listen.ip().is_loopback() {
        hosts.push(config.server.listen.ip().to_string());
    }
    hosts
}

fn tool_policy(config: &Config) -> ToolPolicy {
    ToolPolicy {
        filter: config.tools.clone(),
        rules: config.tool_rules.clone(),
    }
}

/// The token guard for the configured issuers, with their keys being
/// fetched in the background; `None` when no issuer is configured.
fn authentication(
    config: &Config,
    base_url: &str,
    readiness: &Readiness,
) -> anyhow::Result<Option<Arc<Auth>>> {
    let oidc = &config.oidc;
    if oidc.issuers.is_empty() {
        return Ok(None);
    }
    let http = reqwest::Client::builder()
        .user_agent(concat!("kube-mcp/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("cannot build the HTTP client for the issuers")?;
    let base = base_url.trim_end_matches('/').to_owned();
    let mut issuers = Vec::new();
    for issuer in &oidc.issuers {
        let audiences = if issuer.audiences.is_empty() {
            match oidc.audience_mode {
                AudienceMode::Resource => vec![format!("{base}/mcp"), format!("{base}/")],
                AudienceMode::Compatible => {
                    let mut defaults =
                        vec![format!("{base}/mcp"), format!("{base}/"), base.clone()];
                    defaults.extend(oidc.client_id.clone());
                    defaults
                }
            }
        } else {
            issuer.audiences.clone()
        };
        if issuer.allow_http && issuer.issuer_url.scheme() == "http" {
            tracing::warn!(
                issuer = %issuer.issuer,
                "the issuer's keys are fetched over plain HTTP (allowHttp): anyone on the \
                 network path can replace them"
            );
        }
        let keys = IssuerKeys::new(issuer.into(), http.clone());
        // Detached: it ends when the keys are dropped (it holds them weakly).
        let _refresher = keys.spawn_refresher();
        issuers.push(
            TrustedIssuer::new(issuer.clone(), audiences, keys)
                .with_client_id(oidc.client_id.clone()),
        );
    }
    let keys: Vec<Arc<IssuerKeys>> = issuers.iter().map(|i| i.keys.clone()).collect();
    let ready = readiness.component("oidc");
    tokio::spawn(async move {
        // Ready once every issuer's keys are held; they stay held (and
        // working) through later IdP outages, which the log reports.
        while !keys.iter().all(|k| k.has_keys()) {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        ready.set_ready(true);
    });
    Ok(Some(Arc::new(Auth {
        validator: Validator {
            issuers,
            leeway: oidc.leeway,
            impersonate: config.kubernetes.impersonates(),
            cache: Default::default(),
        },
        base_url: base,
        scopes: oidc.scopes.clone(),
    })))
}

/// The plugins of `config`, not loaded yet, with the cluster their
/// Kubernetes requests go to (none when no cluster is reachable: those
/// requests then fail as `unavailable`, and the rest works).
async fn plugin_host(config: &Config) -> anyhow::Result<Arc<PluginHost>> {
    let mut runtime = Runtime::new(
        config.plugins.settings.clone(),
        config.plugins.cache_dir.clone(),
    )
    .map_err(|e| anyhow::anyhow!("cannot start the WebAssembly runtime: {e:#}"))?
    .with_concurrency(
        config.server.mcp.max_calls_per_plugin,
        config.server.mcp.max_calls_per_caller,
    );
    let clusters = crate::kube::ClusterSet::connect(&config.kubernetes).await;
    for member in clusters.members() {
        if member.about.broken.is_none() {
            tracing::info!(
                cluster = %member.name,
                server = %member.about.server,
                identity = ?member.about.identity,
                default = *member.name == *clusters.default_name(),
                "Kubernetes client ready"
            );
        }
    }
    runtime = runtime.with_clusters(Arc::new(clusters));
    let dirs = config
        .plugins
        .dir
        .iter()
        .chain(&config.plugins.extra_dirs)
        .cloned()
        .collect();
    let distribution = &config.plugins.distribution;
    let folder_trust = distribution
        .require_signatures
        .then(|| distribution.trust.clone());
    Ok(PluginHost::with_dirs(runtime, dirs, folder_trust))
}

/// Starts following `plugins.sources`: each source reports ready through
/// its own readiness component once a verified version serves.
fn follow_sources(
    config: &Config,
    plugins: &Arc<PluginHost>,
    readiness: &Readiness,
) -> Vec<tokio::task::JoinHandle<()>> {
    let distribution = &config.plugins.distribution;
    if distribution.sources.is_empty() {
        return Vec::new();
    }
    let store = distribution
        .store
        .clone()
        .unwrap_or_else(|| match &config.plugins.cache_dir {
            Some(cache) => cache.with_file_name("oci"),
            None => std::env::temp_dir().join("kube-mcp-oci"),
        });
    tracing::info!(
        sources = distribution.sources.len(),
        store = %store.display(),
        poll_interval = %humantime::format_duration(distribution.poll_interval),
        trusted_keys = distribution.trust.keys.len(),
        "following plugins from registries"
    );
    let fetcher = Arc::new(crate::distribution::Fetcher {
        registries: crate::distribution::Registries::new(distribution.credentials.clone()),
        store: crate::distribution::Store::new(store),
        trust: distribution.trust.clone(),
    });
    crate::plugins::follow_sources(
        plugins,
        fetcher,
        distribution.sources.clone(),
        distribution.poll_interval,
        |name| readiness.component(format!("plugin source {name}")),
    )
}

/// What every MCP transport shares, from `config`: the plugins, the
/// sessions (with the task that tells them of the plugins' changes), the
/// tool policy and the metrics.
pub fn shared(
    config: &Config,
    plugins: Arc<PluginHost>,
    metrics: Arc<Metrics>,
) -> (Shared, tokio::task::JoinHandle<()>) {
    let sessions = Arc::new(Sessions::default());
    let follow = sessions.follow(plugins.clone());
    let shared = Shared {
        plugins,
        sessions,
        request_timeout: config.server.mcp.request_timeout,
        metrics,
        policy: Arc::new(tool_policy(config)),
        tasks: Arc::new(Tasks::new(
            config.server.mcp.task_timeout,
            config.server.mcp.max_tasks_per_caller,
        )),
        state_key: Arc::new(match &config.server.mcp.state_key {
            Some(secret) => StateKey::from_secret(&secret.0).expect("checked at load"),
            None => StateKey::random(),
        }),
    };
    (shared, follow)
}

/// The MCP endpoint of an HTTP app: what it serves, how, and who may call.
pub struct Endpoint {
    pub shared: Shared,
    pub options: mcp::http::HttpOptions,
    /// The token guard; `None` serves without authentication.
    pub auth: Option<Arc<Auth>>,
}

/// The whole HTTP app: health and readiness, and when `endpoint` is given
/// the MCP endpoint with its Protected Resource Metadata; every route
/// counted in `metrics`. `run` serves it; tests call it in-process.
pub fn app(state: AppState, endpoint: Option<Endpoint>, metrics: Arc<Metrics>) -> Router {
    let mut app = router(state);
    if let Some(Endpoint {
        shared,
        options,
        auth,
    }) = endpoint
    {
        let (max_request_body, origins) =
            (options.max_request_body, options.allowed_origins.clone());
        let in_flight = options.in_flight.clone();
        let service = mcp::http::service(shared, options);
        let endpoint =
            mcp::http::router(service, max_request_body, &origins, auth.clone(), in_flight);
        if let Some(auth) = auth {
            let metadata = axum::routing::get(auth::protected_resource_metadata);
            app = app.merge(
                Router::new()
                    .route("/.well-known/oauth-protected-resource", metadata.clone())
                    .route("/.well-known/oauth-protected-resource/mcp", metadata)
                    .with_state(auth),
            );
        }
        app = app.merge(endpoint);
    }
    app.layer(axum::middleware::from_fn_with_state(
        metrics,
        metrics::track_http,
    ))
}

/// Serves MCP on stdin/stdout until the client closes them.
pub async fn run_stdio(config: Config) -> anyhow::Result<()> {
    let plugins = plugin_host(&config).await?;
    let (shared, _follow) = shared(&config, plugins.clone(), Arc::default());
    let _sources = follow_sources(&config, &plugins, &Readiness::default());
    tokio::spawn(load_plugins(
        plugins,
        Readiness::default().component("plugins"),
    ));
    mcp::serve_stdio(shared).await
}

/// Runs the server until SIGTERM or SIGINT, then drains in-flight requests
/// for at most `config.server.shutdown_timeout`.
pub async fn run(config: Config) -> anyhow::Result<Shutdown> {
    let mut signals = Signals::install().context("cannot install signal handlers")?;
    let readiness = Readiness::default();
    let state = AppState {
        plugins: plugin_host(&config).await?,
        readiness: readiness.clone(),
    };
    let plugins_loaded = readiness.component("plugins");

    let listener = TcpListener::bind(config.server.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.server.listen))?;
    let local_addr = listener.local_addr()?;
    tracing::info!(
        addr = %local_addr,
        base_url = %base_url(&config, local_addr),
        version = env!("CARGO_PKG_VERSION"),
        "listening"
    );

    // Listen first, then load: liveness answers while plugins compile, and
    // readiness turns green when they are in place.
    tokio::spawn(load_plugins(state.plugins.clone(), plugins_loaded));
    let _sources = follow_sources(&config, &state.plugins, &readiness);

    let stop_accepting = CancellationToken::new();
    // Ends MCP sessions and their streams; only once the calls in flight
    // are done (cancelling it stops running requests).
    let end_streams = CancellationToken::new();
    let metrics = Arc::new(Metrics::default());
    let (shared, _follow) = shared(&config, state.plugins.clone(), metrics.clone());
    let in_flight = crate::in_flight::InFlight::new(config.server.mcp.max_in_flight);
    let _metrics_listener = match config.server.metrics_listen {
        Some(addr) => Some(
            serve_metrics(
                addr,
                metrics::Exporter {
                    metrics: metrics.clone(),
                    plugins: state.plugins.clone(),
                    gauges: {
                        let sessions = shared.sessions.clone();
                        let in_flight = in_flight.clone();
                        Arc::new(move || metrics::Gauges {
                            open_sessions: sessions.count(),
                            in_flight: in_flight.current(),
                        })
                    },
                },
            )
            .await?,
        ),
        None => None,
    };
    let public_url = base_url(&config, local_addr);
    let auth = authentication(&config, &public_url, &readiness)?;
    let endpoint = if config.server.no_auth || auth.is_some() {
        if config.server.no_auth {
            tracing::warn!(
                "serving MCP WITHOUT AUTHENTICATION (--no-auth): anyone who can reach {local_addr} can call every tool"
            );
        }
        Some(Endpoint {
            shared,
            options: mcp::http::HttpOptions {
                stateless: config.server.mcp.stateless,
                allowed_hosts: allowed_hosts(&config),
                allowed_origins: allowed_origins(&config, local_addr),
                max_request_body: usize::try_from(config.server.mcp.max_request_body)
                    .unwrap_or(usize::MAX),
                in_flight: in_flight.clone(),
                shutdown: end_streams.child_token(),
            },
            auth: auth.filter(|_| !config.server.no_auth),
        })
    } else {
        tracing::warn!(
            "the MCP endpoint is off: configure a token issuer (--oidc-issuer-url) or pass \
             --no-auth to serve MCP on a loopback address"
        );
        None
    };
    let app = app(state.clone(), endpoint, metrics);
    let server = axum::serve(without_delay(listener), app)
        .with_graceful_shutdown(stop_accepting.clone().cancelled_owned());
    let mut server = tokio::spawn(server.into_future());

    let signal = tokio::select! {
        result = &mut server => {
            // The server only stops by itself on a fatal error.
            result.context("server task failed")?.context("server failed")?;
            anyhow::bail!("server stopped unexpectedly");
        }
        signal = signals.recv() => signal,
    };

    let timeout = config.server.shutdown_timeout;
    readiness.start_draining();
    in_flight.start_draining();
    // Not ready, and shedding new calls with 503, while load balancers
    // notice; then no new connections.
    let delay = config.server.shutdown_delay;
    if !delay.is_zero() {
        tracing::info!(delay = %humantime::format_duration(delay), "draining: not ready, new calls refused with 503");
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            signal = signals.recv() => {
                tracing::warn!(%signal, "second signal: exiting without waiting for in-flight requests");
                server.abort();
                return Ok(Shutdown::Forced);
            }
        }
    }
    stop_accepting.cancel();
    tracing::info!(%signal, timeout = %humantime::format_duration(timeout), "shutting down: no new connections, finishing in-flight requests");
    // The calls in flight finish; then sessions and their streams end, and
    // with them the connections the graceful shutdown waits for.
    let calls_done = {
        let in_flight = in_flight.clone();
        async move {
            while in_flight.current() > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    };
    let end = end_streams.clone();
    let streams_end = tokio::spawn(async move {
        calls_done.await;
        end.cancel();
    });

    tokio::select! {
        result = &mut server => {
            result.context("server task failed")?.context("server failed")?;
            tracing::info!("shut down gracefully");
            Ok(Shutdown::Graceful)
        }
        () = tokio::time::sleep(timeout) => {
            tracing::warn!(timeout = %humantime::format_duration(timeout), "in-flight requests did not finish in time; exiting anyway");
            streams_end.abort();
            end_streams.cancel();
            server.abort();
            Ok(Shutdown::Forced)
        }
        signal = signals.recv() => {
            tracing::warn!(%signal, "second signal: exiting without waiting for in-flight requests");
            server.abort();
            Ok(Shutdown::Forced)
        }
    }
}

/// The listener with `TCP_NODELAY` on every accepted connection. An MCP
/// response often leaves in two small writes (headers, then an SSE event);
/// with Nagle's algorithm the second waits for the client's delayed ACK,
/// about 40 ms, on every call.
fn without_delay(
    listener: TcpListener,
) -> axum::serve::TapIo<TcpListener, fn(&mut tokio::net::TcpStream)> {
    use axum::serve::ListenerExt;
    listener.tap_io(set_nodelay)
}

fn set_nodelay(stream: &mut tokio::net::TcpStream) {
    if let Err(e) = stream.set_nodelay(true) {
        tracing::debug!("cannot set TCP_NODELAY: {e}");
    }
}

/// Serves `/metrics` on `addr` until the returned task is aborted (dropping
/// it does not stop it; the process exit does).
async fn serve_metrics(
    addr: SocketAddr,
    exporter: metrics::Exporter,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen for metrics on {addr}"))?;
    tracing::info!(addr = %listener.local_addr()?, "serving metrics");
    let app = metrics::router(exporter);
    Ok(tokio::spawn(async move {
        if let Err(e) = axum::serve(without_delay(listener), app).await {
            tracing::error!("the metrics listener failed: {e}");
        }
    }))
}

/// Loads the plugins directory, reports ready, then keeps it loaded as it
/// changes. A broken plugin is logged and skipped; an unreadable directory
/// keeps the server not ready.
async fn load_plugins(plugins: Arc<PluginHost>, loaded: Component) {
    // Watch before the first load, so no change in between is missed.
    let watching = match plugins.watch() {
        Ok(handle) => Some(handle),
        Err(e) => {
            tracing::error!("cannot watch the plugins directory, changes need a restart: {e}");
            None
        }
    };
    match plugins.reload().await {
        Ok(report) => {
            let (compiled, from_cache) = plugins.runtime().compilations();
            tracing::info!(
                plugins = report.registry.plugins().len(),
                tools = report.registry.tools().count(),
                failed = report.failures.len(),
                compiled,
                from_cache,
                "plugins loaded"
            );
            loaded.set_ready(true);
        }
        Err(e) => tracing::error!("cannot read the plugins directory: {e}"),
    }
    // Keep watching for the life of the server.
    if let Some(handle) = watching {
        std::future::pending::<()>().await;
        drop(handle);
    }
}

/// The public URL: as configured, or derived from the bound address (an
/// unspecified address such as 0.0.0.0 becomes the loopback).
fn base_url(config: &Config, local_addr: SocketAddr) -> String {
    if let Some(url) = &config.server.base_url {
        return url.to_string();
    }
    let mut addr = local_addr;
    if addr.ip().is_unspecified() {
        addr.set_ip(if addr.is_ipv4() {
            [127, 0, 0, 1].into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    format!("http://{addr}/")
}

#[cfg(test)]
mod tests {
    use axum::serve::Listener;

    use super::*;

    /// Every connection the server accepts has Nagle's algorithm off.
    #[tokio::test]
    async fn accepted_connections_do_not_delay_small_writes() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut listener = without_delay(listener);
        let _client = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (accepted, _) = listener.accept().await;
        assert!(accepted.nodelay().unwrap());
    }
}
