//! The command line: subcommands and the flags (with their environment
//! variables) of the server.
//!
//! Values are kept as the text the user wrote. [`crate::config`] parses them,
//! so that an error can say whether the bad value came from a flag or from an
//! environment variable (clap alone would blame the flag for both).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// MCP server for Kubernetes whose tools are sandboxed WebAssembly plugins.
///
/// Every option can also be given as a KUBE_MCP_* environment variable or as
/// a key in the --config file; a flag wins over the environment, which wins
/// over the file.
#[derive(Debug, Parser)]
#[command(
    name = "kube-mcp",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve MCP over HTTP, with health and readiness endpoints.
    Serve(Box<ServerArgs>),
    /// Serve MCP over stdin and stdout, for a local client that starts the
    /// server itself. Never authenticates; the HTTP settings are ignored.
    Stdio(Box<ServerArgs>),
    /// Look at a plugin component without running a server.
    Plugin {
        #[command(subcommand)]
        command: PluginCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Print a plugin's description, tools and requested capabilities.
    Inspect {
        /// The plugin component (.wasm).
        file: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Check that a file is a plugin the server can load; exits 1 with the
    /// reason when it is not.
    Validate {
        /// The plugin component (.wasm).
        file: PathBuf,
    },
}

/// Settings of the server. Each one documents its flag, its environment
/// variable and its key in the configuration file.
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// YAML configuration file; flags and KUBE_MCP_* variables override it.
    #[arg(long, env = "KUBE_MCP_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Address to listen on (file: host). An IP address, or localhost.
    /// [default: 127.0.0.1]
    #[arg(
        long,
        env = "KUBE_MCP_HOST",
        value_name = "ADDR",
        help_heading = "Server"
    )]
    pub host: Option<String>,

    /// Port to listen on; 0 picks a free one (file: port). [default: 9000]
    #[arg(
        long,
        env = "KUBE_MCP_PORT",
        value_name = "PORT",
        help_heading = "Server"
    )]
    pub port: Option<String>,

    /// Public URL clients reach this server at (file: baseUrl).
    /// [default: http://<host>:<port>]
    #[arg(
        long,
        env = "KUBE_MCP_BASE_URL",
        value_name = "URL",
        help_heading = "Server"
    )]
    pub base_url: Option<String>,

    /// Origins allowed to call from a browser, comma-separated (file: allowedOrigins).
    #[arg(
        long,
        env = "KUBE_MCP_ALLOWED_ORIGINS",
        value_name = "LIST",
        help_heading = "Server"
    )]
    pub allowed_origins: Option<String>,

    /// How long in-flight requests may run after SIGTERM/SIGINT before the
    /// server exits anyway (file: shutdownTimeout). [default: 25s]
    #[arg(
        long,
        env = "KUBE_MCP_SHUTDOWN_TIMEOUT",
        value_name = "DURATION",
        help_heading = "Server"
    )]
    pub shutdown_timeout: Option<String>,

    /// Serve MCP without authentication. Refused unless every listen address
    /// is loopback (file: noAuth).
    #[arg(
        long,
        env = "KUBE_MCP_NO_AUTH",
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        help_heading = "Server"
    )]
    pub no_auth: Option<String>,

    /// Address of the Prometheus metrics listener, e.g. 0.0.0.0:9090; off
    /// when unset (file: metricsListen).
    #[arg(
        long,
        env = "KUBE_MCP_METRICS_LISTEN",
        value_name = "ADDR:PORT",
        help_heading = "Server"
    )]
    pub metrics_listen: Option<String>,

    /// Serve every MCP request on its own, without sessions: any replica can
    /// answer any request (file: mcp.stateless). [default: false]
    #[arg(
        long,
        env = "KUBE_MCP_STATELESS",
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        help_heading = "MCP"
    )]
    pub stateless: Option<String>,

    /// Longest time one MCP request may take (file: mcp.requestTimeout).
    /// [default: 60s]
    #[arg(
        long,
        env = "KUBE_MCP_REQUEST_TIMEOUT",
        value_name = "DURATION",
        help_heading = "MCP"
    )]
    pub request_timeout: Option<String>,

    /// Largest MCP request body accepted; bigger ones get 413
    /// (file: mcp.maxRequestBody). [default: 1MiB]
    #[arg(
        long,
        env = "KUBE_MCP_MAX_REQUEST_BODY",
        value_name = "SIZE",
        help_heading = "MCP"
    )]
    pub max_request_body: Option<String>,

    /// Token issuer; discovery is read from <URL>/.well-known/openid-configuration
    /// (file: oidc.issuerUrl).
    #[arg(
        long,
        env = "KUBE_MCP_OIDC_ISSUER_URL",
        value_name = "URL",
        help_heading = "Authentication (OIDC)"
    )]
    pub oidc_issuer_url: Option<String>,

    /// Token audiences accepted, comma-separated (file: oidc.audience).
    /// [default: <base-url>/mcp, the base URL and the client ID]
    #[arg(
        long,
        env = "KUBE_MCP_OIDC_AUDIENCE",
        value_name = "LIST",
        help_heading = "Authentication (OIDC)"
    )]
    pub oidc_audience: Option<String>,

    /// Scopes every token must carry, comma-separated; a token without them
    /// gets 403 (file: oidc.requiredScopes).
    #[arg(
        long,
        env = "KUBE_MCP_OIDC_REQUIRED_SCOPES",
        value_name = "LIST",
        help_heading = "Authentication (OIDC)"
    )]
    pub oidc_required_scopes: Option<String>,

    /// File holding the HS256 shared secret; HS256 keys never come from a
    /// JWKS (file: oidc.hs256SecretFile).
    #[arg(
        long,
        env = "KUBE_MCP_OIDC_HS256_SECRET_FILE",
        value_name = "FILE",
        help_heading = "Authentication (OIDC)"
    )]
    pub oidc_hs256_secret_file: Option<String>,

    /// Clock skew allowed on exp, nbf and iat (file: oidc.leeway). [default: 30s]
    #[arg(
        long,
        env = "KUBE_MCP_OIDC_LEEWAY",
        value_name = "DURATION",
        help_heading = "Authentication (OIDC)"
    )]
    pub oidc_leeway: Option<String>,

    /// Claim holding the username (file: oidc.usernameClaim).
    /// [default: preferred_username]
    #[arg(
        long,
        env = "KUBE_MCP_OIDC_USERNAME_CLAIM",
        value_name = "CLAIM",
        help_heading = "Authentication (OIDC)"
    )]
    pub oidc_username_claim: Option<String>,

    /// Claim holding the groups (file: oidc.groupsClaim). [default: groups]
    #[arg(
        long,
        env = "KUBE_MCP_OIDC_GROUPS_CLAIM",
        value_name = "CLAIM",
        help_heading = "Authentication (OIDC)"
    )]
    pub oidc_groups_claim: Option<String>,

    /// OAuth client ID, accepted as a token audience (file: oidc.clientId).
    #[arg(
        long,
        env = "KUBE_MCP_OIDC_CLIENT_ID",
        value_name = "ID",
        help_heading = "Authentication (OIDC)"
    )]
    pub oidc_client_id: Option<String>,

    /// Which audiences a token may name: compatible (the resource URLs and
    /// the client ID) or resource (only this server's resource URLs, as MCP
    /// requires; recommended) (file: oidc.audienceMode). [default: compatible]
    #[arg(
        long,
        env = "KUBE_MCP_OIDC_AUDIENCE_MODE",
        value_name = "MODE",
        help_heading = "Authentication (OIDC)"
    )]
    pub oidc_audience_mode: Option<String>,

    /// Fetch the issuer's discovery document and keys over plain HTTP
    /// (an in-cluster IdP without TLS); logged as a warning. Loopback
    /// issuers never need it (file: oidc.allowHttp). [default: false]
    #[arg(
        long,
        env = "KUBE_MCP_OIDC_ALLOW_HTTP",
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        help_heading = "Authentication (OIDC)"
    )]
    pub oidc_allow_http: Option<String>,

    /// Accepted token signing algorithms, comma-separated: RS256, HS256,
    /// ES256, PS256, EdDSA (file: oidc.signingMethod). [default: RS256]
    #[arg(
        long,
        env = "KUBE_MCP_OIDC_SIGNING_METHOD",
        value_name = "LIST",
        help_heading = "Authentication (OIDC)"
    )]
    pub oidc_signing_method: Option<String>,

    /// Scopes advertised to clients, comma-separated (file: oidc.scopes).
    /// [default: openid]
    #[arg(
        long,
        env = "KUBE_MCP_OIDC_SCOPES",
        value_name = "LIST",
        help_heading = "Authentication (OIDC)"
    )]
    pub oidc_scopes: Option<String>,

    /// Only these tools exist, comma-separated (file: tools.allowed).
    /// Cannot be combined with --disallowed-tools.
    #[arg(
        long,
        env = "KUBE_MCP_ALLOWED_TOOLS",
        value_name = "LIST",
        help_heading = "Tools"
    )]
    pub allowed_tools: Option<String>,

    /// Every tool exists except these, comma-separated (file: tools.disallowed).
    #[arg(
        long,
        env = "KUBE_MCP_DISALLOWED_TOOLS",
        value_name = "LIST",
        help_heading = "Tools"
    )]
    pub disallowed_tools: Option<String>,

    /// Directory of plugin components (*.wasm) to load (file: plugins.dir).
    /// [default: /usr/lib/kube-mcp/plugins]
    #[arg(
        long,
        env = "KUBE_MCP_PLUGINS_DIR",
        value_name = "DIR",
        help_heading = "Plugins"
    )]
    pub plugins_dir: Option<String>,

    /// Directory for compiled plugin code, so restarts do not recompile
    /// (file: plugins.cacheDir); `none` turns the cache off.
    /// [default: $XDG_CACHE_HOME/kube-mcp/compiled or ~/.cache/kube-mcp/compiled]
    #[arg(
        long,
        env = "KUBE_MCP_PLUGIN_CACHE_DIR",
        value_name = "DIR",
        help_heading = "Plugins"
    )]
    pub plugin_cache_dir: Option<String>,

    /// Kubeconfig file to use instead of the in-cluster service account
    /// (file: kubernetes.kubeconfig).
    #[arg(
        long,
        env = "KUBE_MCP_KUBECONFIG",
        value_name = "FILE",
        help_heading = "Kubernetes"
    )]
    pub kubeconfig: Option<String>,

    /// Use a kubeconfig (--kubeconfig, or $KUBECONFIG, or ~/.kube/config)
    /// instead of the in-cluster service account (file: kubernetes.outOfCluster).
    #[arg(
        long,
        env = "KUBE_MCP_OUT_OF_CLUSTER",
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        help_heading = "Kubernetes"
    )]
    pub out_of_cluster: Option<String>,

    /// Whose identity Kubernetes requests carry: serviceAccount (the
    /// server's own) or impersonate (the calling user, via Impersonate-User
    /// and Impersonate-Group) (file: kubernetes.identity). [default: serviceAccount]
    #[arg(
        long,
        env = "KUBE_MCP_KUBE_IDENTITY",
        value_name = "MODE",
        help_heading = "Kubernetes"
    )]
    pub kube_identity: Option<String>,

    /// Return Secret values as they are instead of redacted
    /// (file: kubernetes.revealSecrets). [default: false]
    #[arg(
        long,
        env = "KUBE_MCP_REVEAL_SECRETS",
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        help_heading = "Kubernetes"
    )]
    pub reveal_secrets: Option<String>,

    /// How list tools write their answers by default: table (the API
    /// server's own columns, as `kubectl get` shows them), yaml or json
    /// (file: kubernetes.listOutput). [default: table]
    #[arg(
        long,
        env = "KUBE_MCP_LIST_OUTPUT",
        value_name = "FORMAT",
        help_heading = "Kubernetes"
    )]
    pub list_output: Option<String>,

    /// The most text one tool answer takes: a longer list ends with a
    /// continue token for the rest; 2KiB to 512KiB (file:
    /// kubernetes.answerBudget). [default: 32KiB]
    #[arg(
        long,
        env = "KUBE_MCP_ANSWER_BUDGET",
        value_name = "SIZE",
        help_heading = "Kubernetes"
    )]
    pub answer_budget: Option<String>,

    /// More plugin directories, comma-separated, loaded and watched like
    /// --plugins-dir (file: plugins.extraDirs).
    #[arg(
        long,
        env = "KUBE_MCP_PLUGINS_EXTRA_DIRS",
        value_name = "DIRS",
        help_heading = "Plugins"
    )]
    pub plugins_extra_dirs: Option<String>,

    /// trace, debug, info, warn or error; or a filter directive such as
    /// 'info,kube_mcp::plugins=debug' (file: logging.level). [default: info]
    #[arg(
        long,
        env = "KUBE_MCP_LOG_LEVEL",
        value_name = "LEVEL",
        help_heading = "Logging"
    )]
    pub log_level: Option<String>,

    /// text (for people) or json (for log collectors) (file: logging.format).
    /// [default: text]
    #[arg(
        long,
        env = "KUBE_MCP_LOG_FORMAT",
        value_name = "FORMAT",
        help_heading = "Logging"
    )]
    pub log_format: Option<String>,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    /// Every server flag has an environment variable named after it, so the
    /// two spellings of a setting are predictable.
    #[test]
    fn every_flag_has_its_kube_mcp_variable() {
        let cli = Cli::command();
        let serve = cli.find_subcommand("serve").unwrap();
        for arg in serve.get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            if matches!(long, "help" | "version") {
                continue;
            }
            let expected = format!("KUBE_MCP_{}", long.to_uppercase().replace('-', "_"));
            let env = arg.get_env().map(|e| e.to_string_lossy().into_owned());
            assert_eq!(env.as_deref(), Some(expected.as_str()), "--{long}");
        }
    }
}
