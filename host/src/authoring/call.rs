//! `kube-mcp plugin call`: one call of one tool, against the cluster of the
//! configuration (a kubeconfig by default), with no server and no client.
//!
//! The call runs in the same sandbox, with the same limits and the same
//! Kubernetes gateway as in the server. Guest log lines and progress go to
//! stderr, the result to stdout. Grants come from `--config`; when it has
//! none for the plugin, the plugin is granted what it requests, and the
//! note says so: the identity is the kubeconfig's, so the cluster's RBAC
//! still decides.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use crate::BoxFuture;
use crate::auth::{CallerId, Principal};
use crate::config::{Config, ServerArgs};
use crate::kube::{ClusterSet, requested_capability};
use crate::plugins::{CallContext, ClientPeer, ClientSupport, Question, Runtime, Unanswered};
use crate::wit::client::{Answer, ClientError};
use crate::wit::types::CallError;

/// Runs `tool` of the plugin in `file` with `arguments` (a JSON object).
pub fn run(file: &Path, tool: &str, arguments: &str, json: bool, server: &ServerArgs) -> ExitCode {
    let arguments = match serde_json::from_str::<serde_json::Value>(arguments) {
        Ok(value) if value.is_object() => value.to_string(),
        Ok(_) => {
            return fail("--args must be a JSON object, such as '{\"namespace\": \"default\"}'");
        }
        Err(e) => return fail(&format!("--args is not JSON: {e}")),
    };
    let config = match local_config(file, server) {
        Ok(config) => config,
        Err(e) => return fail(&format!("invalid configuration: {e}")),
    };
    crate::telemetry::init(&config.logging, None);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(&format!("cannot start the async runtime: {e}")),
    };
    runtime.block_on(call(file, tool, &arguments, json, config))
}

/// The server's configuration from the flags, the environment and
/// `--config`, with what a local call needs: no authentication, the
/// plugin's own directory, a kubeconfig rather than in-cluster credentials.
fn local_config(file: &Path, server: &ServerArgs) -> Result<Config, crate::config::ConfigError> {
    let mut args = server.clone();
    let mut default = |id: &'static str, value: String| {
        if !args.given.iter().any(|(given, ..)| *given == id) {
            args.given.push((id, value, false));
        }
    };
    let dir = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    default("plugins_dir", dir.display().to_string());
    default("no_auth", "true".into());
    if !server.given.iter().any(|(id, ..)| *id == "kubeconfig") {
        default("out_of_cluster", "true".into());
    }
    Config::load(&args)
}

async fn call(file: &Path, tool: &str, arguments: &str, json: bool, config: Config) -> ExitCode {
    let mut settings = config.plugins.settings.clone();
    let clusters = Arc::new(ClusterSet::connect(&config.kubernetes).await);
    for member in clusters.members() {
        if let Some(broken) = &member.about.broken {
            eprintln!(
                "kube-mcp: cluster '{}' is not usable ({broken}); its Kubernetes calls will fail \
                 as unavailable",
                member.name
            );
        }
    }
    let load = |settings| {
        let clusters = clusters.clone();
        let cache = config.plugins.cache_dir.clone();
        let shown = file.display().to_string();
        async move {
            let mut runtime = Runtime::new(settings, cache)
                .map_err(|e| format!("cannot start the WebAssembly runtime: {e:#}"))?;
            runtime = runtime.with_clusters(clusters);
            runtime
                .load_file(file)
                .await
                .map_err(|e| format!("{shown}: {e}"))
        }
    };
    // First quietly, to learn the plugin's name and what it requests; then
    // for real, with the grants settled (the code is cached by then, so
    // loading again only instantiates).
    use tracing::instrument::WithSubscriber;
    let described = match load(settings.clone())
        .with_subscriber(tracing::subscriber::NoSubscriber::default())
        .await
    {
        Ok(plugin) => plugin,
        Err(e) => return fail(&e),
    };
    let name = described.info.name.clone();
    if settings.grants_for(&name).is_empty() && !described.info.capabilities.is_empty() {
        eprintln!(
            "kube-mcp: no plugins.grants.{name} in the configuration: granting what the plugin \
             requests for this call (the cluster's RBAC still applies)"
        );
        let requested = described
            .info
            .capabilities
            .iter()
            .map(requested_capability)
            .collect();
        settings.grants.insert(name.clone(), requested);
    }
    let plugin = match load(settings).await {
        Ok(plugin) => plugin,
        Err(e) => return fail(&e),
    };
    if !plugin.tools.iter().any(|t| t.name == tool) {
        let offered: Vec<&str> = plugin.tools.iter().map(|t| t.name.as_str()).collect();
        return fail(&format!(
            "plugin '{name}' has no tool '{tool}'; it offers: {}",
            offered.join(", ")
        ));
    }

    // The local user, vouched for by no issuer.
    let caller = Principal::named(CallerId {
        issuer: String::new(),
        subject: std::env::var("USER").unwrap_or_else(|_| "local".into()),
    });
    let context = CallContext::new(Arc::new(caller)).with_client(Arc::new(Terminal));
    match plugin.call_tool(tool, arguments, &context).await {
        Ok(Ok(result)) => {
            let is_error = result.is_error;
            if json {
                match crate::mcp::call_result(result) {
                    Ok(result) => println!(
                        "{}",
                        serde_json::to_string_pretty(&result).expect("a result serializes")
                    ),
                    Err(e) => return fail(&e.message),
                }
            } else {
                print_text(&result);
            }
            if is_error {
                eprintln!("kube-mcp: the tool returned an error result (isError)");
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Ok(Err(CallError::UnknownTool(_))) => {
            fail(&format!("plugin '{name}' says it has no tool '{tool}'"))
        }
        Ok(Err(CallError::InvalidArguments(why))) => fail(&format!("invalid arguments: {why}")),
        Err(failure) => fail(&failure.to_string()),
    }
}

/// The result's content for people: text as it is, other items by kind.
fn print_text(result: &crate::wit::types::CallResult) {
    use crate::wit::types::Content;
    for item in &result.content {
        match item {
            Content::Text(t) => println!("{}", t.text),
            Content::Image(b) => println!("[image {}, {} bytes]", b.mime_type, b.data.len()),
            Content::Audio(b) => println!("[audio {}, {} bytes]", b.mime_type, b.data.len()),
            Content::Resource(r) => println!("[resource {}]", r.uri),
            Content::ResourceLink(l) => println!("[link {} {}]", l.name, l.uri),
        }
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("kube-mcp: {message}");
    ExitCode::FAILURE
}

/// The client of a local call: progress goes to stderr; questions (which
/// need a person at an MCP client) are not supported.
struct Terminal;

impl ClientPeer for Terminal {
    fn support(&self) -> ClientSupport {
        ClientSupport::default()
    }

    fn progress(&self, progress: f64, total: Option<f64>, message: Option<String>) {
        let total = total.map(|t| format!("/{t}")).unwrap_or_default();
        let message = message.map(|m| format!(": {m}")).unwrap_or_default();
        eprintln!("progress {progress}{total}{message}");
    }

    fn ask(&self, _: Vec<(String, Question)>) -> BoxFuture<'_, Result<Vec<Answer>, Unanswered>> {
        Box::pin(async { Err(Unanswered::Client(ClientError::Unsupported)) })
    }
}
