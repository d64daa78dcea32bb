//! Every scalar setting of the server, declared once.
//!
//! One line per setting gives its name, kind, file key, value name, help
//! heading, default and help; everything else derives from it: the flag
//! (`--oidc-issuer-url`, the name in kebab case), the environment variable
//! (`KUBE_MCP_OIDC_ISSUER_URL`), the field of the [`Layer`] that precedence
//! works on, the `--help` text with its file key and default, and where the
//! file reader looks. Structured settings (issuers, tool rules, per-plugin
//! limits, grants, pins) exist only in the file and are read by
//! [`super::file`].
//!
//! Adding a setting is one line here, then its parsing in
//! [`super::Config::resolve`] and its use.

use std::path::PathBuf;

use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Args, FromArgMatches};

use super::layer::{RawAccess, RawCluster, RawImpersonation, RawPluginSettings};
use super::values::comma_list;
use super::{Origin, Sourced};

/// How a setting's text is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One value.
    Text,
    /// A comma-separated list on the command line, a list or a
    /// comma-separated string in the file.
    List,
    /// A boolean; the bare flag means `true`.
    Switch,
}

/// One setting, as declared in [`SETTINGS`].
#[derive(Debug)]
pub struct Setting {
    /// The [`Layer`] field and clap id; the flag and the environment
    /// variable are spelled from it.
    pub id: &'static str,
    pub kind: Kind,
    /// Where it is in the configuration file (`oidc.issuerUrl`).
    pub file_key: &'static str,
    pub value_name: &'static str,
    pub heading: &'static str,
    /// Shown in `--help`; the value used is [`super::Config::resolve`]'s.
    pub default: Option<&'static str>,
    pub help: &'static str,
}

impl Setting {
    /// `--oidc-issuer-url`, without the dashes.
    pub fn flag(&self) -> String {
        self.id.replace('_', "-")
    }

    /// `KUBE_MCP_OIDC_ISSUER_URL`.
    pub fn env(&self) -> String {
        format!("KUBE_MCP_{}", self.id.to_ascii_uppercase())
    }

    /// The clap argument: flag, variable, value name, heading, and help
    /// naming the file key and the default.
    fn arg(&self) -> Arg {
        let default = self
            .default
            .map_or_else(String::new, |d| format!(" [default: {d}]"));
        let arg = Arg::new(self.id)
            .long(self.flag())
            .env(self.env())
            .value_name(self.value_name)
            .help_heading(self.heading)
            .help(format!("{} (file: {}).{default}", self.help, self.file_key))
            .action(ArgAction::Set);
        match self.kind {
            Kind::Switch => arg
                .num_args(0..=1)
                .require_equals(true)
                .default_missing_value("true"),
            Kind::Text | Kind::List => arg,
        }
    }
}

/// A value of one setting from one source, before parsing.
pub enum Given {
    Text(Sourced<String>),
    List(Sourced<Vec<String>>),
}

/// Declares [`SETTINGS`] and the [`Layer`] with one field per setting.
macro_rules! settings {
    ($(
        $id:ident: $kind:ident, $key:literal, $value:literal, $heading:literal,
            $default:expr, $help:literal;
    )*) => {
        /// Every scalar setting, in `--help` order.
        pub const SETTINGS: &[Setting] = &[$(Setting {
            id: stringify!($id),
            kind: Kind::$kind,
            file_key: $key,
            value_name: $value,
            heading: $heading,
            default: $default,
            help: $help,
        },)*];

        /// The settings one source (the file, or flags with the environment)
        /// provides, each with its origin, not yet parsed or validated.
        #[derive(Debug, Default)]
        pub struct Layer {
            $(pub $id: Option<Sourced<settings!(@type $kind)>>,)*
            /// Per-plugin settings; only the file has them.
            pub plugin_settings: RawPluginSettings,
            /// Extra issuers and tool rules; only the file has them.
            pub access: RawAccess,
            /// How the flags' issuer's callers are named in Kubernetes;
            /// only the file has it.
            pub impersonation: RawImpersonation,
            /// `kubernetes.clusters`; only the file has them.
            pub clusters: Vec<RawCluster>,
        }

        impl Layer {
            /// This layer's values, with `lower`'s where this one has none.
            pub fn over(self, lower: Layer) -> Layer {
                Layer {
                    $($id: self.$id.or(lower.$id),)*
                    plugin_settings: lower.plugin_settings,
                    access: lower.access,
                    impersonation: lower.impersonation,
                    clusters: lower.clusters,
                }
            }

            /// Sets the setting `id` (one of [`SETTINGS`]).
            pub fn put(&mut self, id: &str, value: Given) {
                match id {
                    $(stringify!($id) => {
                        self.$id = Some(settings!(@take $kind, value));
                    })*
                    other => unreachable!("no setting '{other}'"),
                }
            }
        }
    };
    (@type List) => { Vec<String> };
    (@type $other:ident) => { String };
    (@take List, $value:expr) => {
        match $value {
            Given::List(list) => list,
            Given::Text(text) => text.map(|t| comma_list(&t)),
        }
    };
    (@take $other:ident, $value:expr) => {
        match $value {
            Given::Text(text) => text,
            Given::List(list) => list.map(|l| l.join(",")),
        }
    };
}

settings! {
    host: Text, "host", "ADDR", "Server", Some("127.0.0.1"),
        "Address to listen on: an IP address, or localhost";
    port: Text, "port", "PORT", "Server", Some("9000"),
        "Port to listen on; 0 picks a free one";
    base_url: Text, "baseUrl", "URL", "Server", Some("http://<host>:<port>"),
        "Public URL clients reach this server at";
    allowed_origins: List, "allowedOrigins", "LIST", "Server", None,
        "Origins allowed to call from a browser, comma-separated";
    shutdown_timeout: Text, "shutdownTimeout", "DURATION", "Server", Some("25s"),
        "How long in-flight requests may run after SIGTERM/SIGINT before the server exits anyway";
    shutdown_delay: Text, "shutdownDelay", "DURATION", "Server", Some("0s"),
        "After SIGTERM, how long the server stays up reporting not ready and refusing new \
         calls with 503 (so load balancers stop sending) before it stops accepting connections; \
         then in-flight requests get shutdownTimeout";
    no_auth: Switch, "noAuth", "BOOL", "Server", None,
        "Serve MCP without authentication. Refused unless every listen address is loopback";
    metrics_listen: Text, "metricsListen", "ADDR:PORT", "Server", None,
        "Address of the Prometheus metrics listener, e.g. 0.0.0.0:9090; off when unset";
    stateless: Switch, "mcp.stateless", "BOOL", "MCP", Some("false"),
        "Serve every MCP request on its own, without sessions: any replica can answer any request";
    request_timeout: Text, "mcp.requestTimeout", "DURATION", "MCP", Some("60s"),
        "Longest time one MCP request may take";
    max_request_body: Text, "mcp.maxRequestBody", "SIZE", "MCP", Some("1MiB"),
        "Largest MCP request body accepted; bigger ones get 413";
    task_timeout: Text, "mcp.taskTimeout", "DURATION", "MCP", Some("15m"),
        "Longest time a tool call that goes on as a task (the MCP tasks extension) may run";
    max_tasks_per_caller: Text, "mcp.maxTasksPerCaller", "COUNT", "MCP", Some("8"),
        "Most tasks one caller may have running at once; more are refused";
    max_in_flight: Text, "mcp.maxInFlight", "COUNT", "MCP", Some("256"),
        "Most MCP requests served at once; beyond it a request gets 503 with Retry-After at once";
    max_calls_per_caller: Text, "mcp.maxCallsPerCaller", "COUNT", "MCP", Some("16"),
        "Most tool calls one caller may have running at once, across plugins; beyond it the \
         call gets the tool-level busy error";
    max_calls_per_plugin: Text, "mcp.maxCallsPerPlugin", "COUNT", "MCP", Some("64"),
        "Most calls one plugin may run at once; beyond it the call gets the tool-level busy error";
    state_key_file: Text, "mcp.stateKeyFile", "PATH", "MCP", None,
        "File whose contents (32 bytes or more) key the request state of stateless \
         multi-round-trip requests; replicas behind one address need the same file. \
         Unset: a random key of this process";
    oidc_issuer_url: Text, "oidc.issuerUrl", "URL", "Authentication (OIDC)", None,
        "Token issuer; discovery is read from <URL>/.well-known/openid-configuration";
    oidc_audience: List, "oidc.audience", "LIST", "Authentication (OIDC)",
        Some("<base-url>/mcp, the base URL and the client ID"),
        "Token audiences accepted, comma-separated";
    oidc_required_scopes: List, "oidc.requiredScopes", "LIST", "Authentication (OIDC)", None,
        "Scopes every token must carry, comma-separated; a token without them gets 403";
    oidc_hs256_secret_file: Text, "oidc.hs256SecretFile", "FILE", "Authentication (OIDC)", None,
        "File holding the HS256 shared secret; HS256 keys never come from a JWKS";
    oidc_leeway: Text, "oidc.leeway", "DURATION", "Authentication (OIDC)", Some("30s"),
        "Clock skew allowed on exp, nbf and iat";
    oidc_username_claim: Text, "oidc.usernameClaim", "CLAIM", "Authentication (OIDC)",
        Some("preferred_username"),
        "Claim holding the username";
    oidc_groups_claim: Text, "oidc.groupsClaim", "CLAIM", "Authentication (OIDC)", Some("groups"),
        "Claim holding the groups";
    oidc_client_id: Text, "oidc.clientId", "ID", "Authentication (OIDC)", None,
        "OAuth client ID, accepted as a token audience";
    oidc_audience_mode: Text, "oidc.audienceMode", "MODE", "Authentication (OIDC)",
        Some("compatible"),
        "Which audiences a token may name: compatible (the resource URLs and the client ID) or \
         resource (only this server's resource URLs, as MCP requires; recommended)";
    oidc_allow_http: Switch, "oidc.allowHttp", "BOOL", "Authentication (OIDC)", Some("false"),
        "Fetch the issuer's discovery document and keys over plain HTTP (an in-cluster IdP \
         without TLS); logged as a warning. Loopback issuers never need it";
    oidc_signing_method: List, "oidc.signingMethod", "LIST", "Authentication (OIDC)",
        Some("RS256"),
        "Accepted token signing algorithms, comma-separated: RS256, HS256, ES256, PS256, EdDSA";
    oidc_scopes: List, "oidc.scopes", "LIST", "Authentication (OIDC)", Some("openid"),
        "Scopes advertised to clients, comma-separated";
    allowed_tools: List, "tools.allowed", "LIST", "Tools", None,
        "Only these tools exist, comma-separated. Cannot be combined with --disallowed-tools";
    disallowed_tools: List, "tools.disallowed", "LIST", "Tools", None,
        "Every tool exists except these, comma-separated";
    plugins_dir: Text, "plugins.dir", "DIR", "Plugins", Some("/usr/lib/kube-mcp/plugins"),
        "Directory of plugin components (*.wasm) to load";
    plugin_cache_dir: Text, "plugins.cacheDir", "DIR", "Plugins",
        Some("$XDG_CACHE_HOME/kube-mcp/compiled or ~/.cache/kube-mcp/compiled"),
        "Directory for compiled plugin code, so restarts do not recompile; `none` turns the \
         cache off";
    kubeconfig: Text, "kubernetes.kubeconfig", "FILE", "Kubernetes", None,
        "Kubeconfig file to use instead of the in-cluster service account";
    out_of_cluster: Switch, "kubernetes.outOfCluster", "BOOL", "Kubernetes", None,
        "Use a kubeconfig (--kubeconfig, or $KUBECONFIG, or ~/.kube/config) instead of the \
         in-cluster service account";
    kube_identity: Text, "kubernetes.identity", "MODE", "Kubernetes", Some("serviceAccount"),
        "Whose identity Kubernetes requests carry: serviceAccount (the server's own) or \
         impersonate (the calling user, via Impersonate-User and Impersonate-Group)";
    reveal_secrets: Switch, "kubernetes.revealSecrets", "BOOL", "Kubernetes", Some("false"),
        "Return Secret values as they are instead of redacted";
    list_output: Text, "kubernetes.listOutput", "FORMAT", "Kubernetes", Some("table"),
        "How list tools write their answers by default: table (the API server's own columns, \
         as `kubectl get` shows them), yaml or json";
    answer_budget: Text, "kubernetes.answerBudget", "SIZE", "Kubernetes", Some("32KiB"),
        "The most text one tool answer takes: a longer list ends with a continue token for the \
         rest; 2KiB to 512KiB";
    plugins_extra_dirs: List, "plugins.extraDirs", "DIRS", "Plugins", None,
        "More plugin directories, comma-separated, loaded and watched like --plugins-dir";
    log_level: Text, "logging.level", "LEVEL", "Logging", Some("info"),
        "trace, debug, info, warn or error; or a filter directive such as \
         'info,kube_mcp::plugins=debug'";
    log_format: Text, "logging.format", "FORMAT", "Logging", Some("text"),
        "text (for people) or json (for log collectors)";
    otlp_endpoint: Text, "tracing.otlpEndpoint", "URL", "Tracing", None,
        "OpenTelemetry collector to send spans to over OTLP/HTTP, e.g. http://otel-collector:4318 \
         (spans go to <url>/v1/traces); tracing is off when unset";
    trace_service_name: Text, "tracing.serviceName", "NAME", "Tracing", Some("kube-mcp"),
        "The service.name of the spans";
    trace_sample_ratio: Text, "tracing.sampleRatio", "RATIO", "Tracing", Some("1"),
        "Share of the traces that start here to record, 0 to 1; a request's traceparent \
         decides for the trace it belongs to";
}

/// The server's command line: `--config` and one flag per setting, each
/// value kept as the text the user wrote with whether it came from the
/// flag or the environment, so an error can blame the right one.
#[derive(Debug, Default, Clone)]
pub struct ServerArgs {
    /// YAML configuration file.
    pub config: Option<PathBuf>,
    /// Setting id → (text, came from the environment).
    pub given: Vec<(&'static str, String, bool)>,
}

impl Args for ServerArgs {
    fn augment_args(command: clap::Command) -> clap::Command {
        command
            .arg(
                Arg::new("config")
                    .long("config")
                    .env("KUBE_MCP_CONFIG")
                    .value_name("FILE")
                    .value_parser(clap::value_parser!(PathBuf))
                    .help("YAML configuration file; flags and KUBE_MCP_* variables override it"),
            )
            .args(SETTINGS.iter().map(Setting::arg))
    }

    fn augment_args_for_update(command: clap::Command) -> clap::Command {
        Self::augment_args(command)
    }
}

impl FromArgMatches for ServerArgs {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut args = ServerArgs {
            config: matches.get_one::<PathBuf>("config").cloned(),
            given: Vec::new(),
        };
        for setting in SETTINGS {
            if let Some(text) = matches.get_one::<String>(setting.id) {
                let from_env = matches.value_source(setting.id) == Some(ValueSource::EnvVariable);
                args.given.push((setting.id, text.clone(), from_env));
            }
        }
        Ok(args)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl Layer {
    /// The settings given as flags or `KUBE_MCP_*` variables (clap already
    /// applied flag-over-environment precedence).
    pub fn from_args(args: &ServerArgs) -> Layer {
        let mut layer = Layer::default();
        for (id, text, from_env) in &args.given {
            let setting = SETTINGS
                .iter()
                .find(|s| s.id == *id)
                .expect("given settings are declared");
            let origin = if *from_env {
                Origin::Env(setting.env())
            } else {
                Origin::Flag(format!("--{}", setting.flag()))
            };
            let value = match setting.kind {
                Kind::List => Given::List(Sourced::new(comma_list(text), origin)),
                Kind::Text | Kind::Switch => Given::Text(Sourced::new(text.clone(), origin)),
            };
            layer.put(id, value);
        }
        layer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_has_its_own_flag_variable_and_file_key() {
        let mut seen = std::collections::BTreeSet::new();
        for s in SETTINGS {
            assert!(seen.insert(s.file_key), "file key {} twice", s.file_key);
            assert!(
                s.id.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            );
            assert!(
                !s.help.ends_with('.'),
                "{}: the help gets '(file: …).'",
                s.id
            );
        }
    }
}
