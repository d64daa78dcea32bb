//! One source's settings, unparsed: the unit that precedence works on.

use clap::ArgMatches;
use clap::parser::ValueSource;

use super::values::comma_list;
use super::{Origin, Sourced};
use crate::cli::ServerArgs;

/// Declares [`Layer`] and its field-by-field precedence in one place, so a
/// new setting cannot be added to one and forgotten in the other.
macro_rules! layer {
    ($($field:ident: $ty:ty),* $(,)?) => {
        /// The settings one source (the file, or flags with the environment)
        /// provides, each with its origin, not yet parsed or validated.
        #[derive(Debug, Default)]
        pub struct Layer {
            $(pub $field: Option<Sourced<$ty>>,)*
            /// Per-plugin settings; only the file has them.
            pub plugin_settings: RawPluginSettings,
            /// Extra issuers and tool rules; only the file has them.
            pub access: RawAccess,
            /// How the flags' issuer's callers are named in Kubernetes;
            /// only the file has it.
            pub impersonation: RawImpersonation,
        }

        impl Layer {
            /// This layer's values, with `lower`'s where this one has none.
            pub fn over(self, lower: Layer) -> Layer {
                Layer {
                    $($field: self.$field.or(lower.$field),)*
                    plugin_settings: lower.plugin_settings,
                    access: lower.access,
                    impersonation: lower.impersonation,
                }
            }
        }
    };
}

/// Limits as written, each value with its origin.
#[derive(Debug, Default)]
pub struct RawLimits {
    pub timeout: Option<Sourced<String>>,
    pub memory: Option<Sourced<String>>,
    pub output: Option<Sourced<String>>,
}

/// One plugin's overrides as written.
#[derive(Debug)]
pub struct RawOverride {
    pub at: Origin,
    pub limits: RawLimits,
    pub directory: Option<RawDirectory>,
    pub settings: std::collections::BTreeMap<String, String>,
}

#[derive(Debug)]
pub struct RawDirectory {
    pub at: Origin,
    pub mode: Option<Sourced<String>>,
    pub path: Option<Sourced<String>>,
}

/// One trusted issuer of `oidc.issuers`, as written.
#[derive(Debug)]
pub struct RawIssuer {
    pub at: Origin,
    pub issuer_url: Option<Sourced<String>>,
    pub allow_http: Option<Sourced<String>>,
    pub audience: Option<Sourced<Vec<String>>>,
    pub required_scopes: Option<Sourced<Vec<String>>>,
    pub signing_method: Option<Sourced<Vec<String>>>,
    pub hs256_secret_file: Option<Sourced<String>>,
    pub username_claim: Option<Sourced<String>>,
    pub groups_claim: Option<Sourced<String>>,
    pub impersonation: RawImpersonation,
}

/// How callers are named in Kubernetes, as written (`kubernetes.impersonation`
/// for the issuer of the flags, `oidc.issuers[i].impersonation` for others).
#[derive(Debug, Default, Clone)]
pub struct RawImpersonation {
    pub username_claim: Option<Sourced<String>>,
    pub user_prefix: Option<Sourced<String>>,
    pub group_prefix: Option<Sourced<String>>,
}

/// One rule of `tools.rules`, as written.
#[derive(Debug)]
pub struct RawToolRule {
    pub at: Origin,
    pub allow: Option<Sourced<Vec<String>>>,
    pub deny: Option<Sourced<Vec<String>>>,
    pub scopes: Option<Sourced<Vec<String>>>,
    pub groups: Option<Sourced<Vec<String>>>,
    pub claims: Vec<(String, Sourced<String>)>,
}

/// The file-only access settings: more issuers, and tool rules.
#[derive(Debug, Default)]
pub struct RawAccess {
    pub issuers: Vec<RawIssuer>,
    pub rules: Vec<RawToolRule>,
}

/// One granted capability as written.
#[derive(Debug)]
pub struct RawCapability {
    pub at: Origin,
    pub verbs: Option<Sourced<Vec<String>>>,
    pub api_groups: Option<Sourced<Vec<String>>>,
    pub resources: Option<Sourced<Vec<String>>>,
    pub namespaces: Option<Sourced<Vec<String>>>,
}

/// The `plugins` settings beyond the directory, as written in the file.
#[derive(Debug, Default)]
pub struct RawPluginSettings {
    pub grants: std::collections::BTreeMap<String, Vec<RawCapability>>,
    /// Plugin name → the digest its file must have.
    pub pins: std::collections::BTreeMap<String, Sourced<String>>,
    pub limits: RawLimits,
    pub overrides: std::collections::BTreeMap<String, RawOverride>,
}

layer! {
    host: String,
    port: String,
    base_url: String,
    allowed_origins: Vec<String>,
    shutdown_timeout: String,
    no_auth: String,
    metrics_listen: String,
    stateless: String,
    request_timeout: String,
    max_request_body: String,
    oidc_issuer_url: String,
    oidc_client_id: String,
    oidc_audience_mode: String,
    oidc_allow_http: String,
    oidc_signing_method: Vec<String>,
    oidc_scopes: Vec<String>,
    oidc_audience: Vec<String>,
    oidc_required_scopes: Vec<String>,
    oidc_hs256_secret_file: String,
    oidc_leeway: String,
    oidc_username_claim: String,
    oidc_groups_claim: String,
    allowed_tools: Vec<String>,
    disallowed_tools: Vec<String>,
    plugins_dir: String,
    plugins_extra_dirs: Vec<String>,
    plugin_cache_dir: String,
    kubeconfig: String,
    out_of_cluster: String,
    kube_identity: String,
    reveal_secrets: String,
    list_output: String,
    answer_budget: String,
    log_level: String,
    log_format: String,
}

impl Layer {
    /// The settings given as flags or `KUBE_MCP_*` variables. Clap already
    /// applied flag-over-environment precedence; `matches` tells which of the
    /// two each value came from, and `command` their spellings.
    pub fn from_args(args: &ServerArgs, matches: &ArgMatches, command: &clap::Command) -> Layer {
        let origin = |id: &str| -> Origin {
            let arg = command
                .get_arguments()
                .find(|a| a.get_id() == id)
                .unwrap_or_else(|| panic!("no argument '{id}' in the command definition"));
            match matches.value_source(id) {
                Some(ValueSource::EnvVariable) => Origin::Env(
                    arg.get_env()
                        .map(|e| e.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                ),
                _ => Origin::Flag(format!("--{}", arg.get_long().unwrap_or(id))),
            }
        };
        let text = |value: &Option<String>, id: &str| {
            value.as_ref().map(|v| Sourced::new(v.clone(), origin(id)))
        };
        let list = |value: &Option<String>, id: &str| {
            value
                .as_ref()
                .map(|v| Sourced::new(comma_list(v), origin(id)))
        };
        Layer {
            host: text(&args.host, "host"),
            port: text(&args.port, "port"),
            base_url: text(&args.base_url, "base_url"),
            allowed_origins: list(&args.allowed_origins, "allowed_origins"),
            shutdown_timeout: text(&args.shutdown_timeout, "shutdown_timeout"),
            no_auth: text(&args.no_auth, "no_auth"),
            metrics_listen: text(&args.metrics_listen, "metrics_listen"),
            stateless: text(&args.stateless, "stateless"),
            request_timeout: text(&args.request_timeout, "request_timeout"),
            max_request_body: text(&args.max_request_body, "max_request_body"),
            oidc_issuer_url: text(&args.oidc_issuer_url, "oidc_issuer_url"),
            oidc_client_id: text(&args.oidc_client_id, "oidc_client_id"),
            oidc_audience_mode: text(&args.oidc_audience_mode, "oidc_audience_mode"),
            oidc_allow_http: text(&args.oidc_allow_http, "oidc_allow_http"),
            oidc_signing_method: list(&args.oidc_signing_method, "oidc_signing_method"),
            oidc_scopes: list(&args.oidc_scopes, "oidc_scopes"),
            oidc_audience: list(&args.oidc_audience, "oidc_audience"),
            oidc_required_scopes: list(&args.oidc_required_scopes, "oidc_required_scopes"),
            oidc_hs256_secret_file: text(&args.oidc_hs256_secret_file, "oidc_hs256_secret_file"),
            oidc_leeway: text(&args.oidc_leeway, "oidc_leeway"),
            oidc_username_claim: text(&args.oidc_username_claim, "oidc_username_claim"),
            oidc_groups_claim: text(&args.oidc_groups_claim, "oidc_groups_claim"),
            allowed_tools: list(&args.allowed_tools, "allowed_tools"),
            disallowed_tools: list(&args.disallowed_tools, "disallowed_tools"),
            plugins_dir: text(&args.plugins_dir, "plugins_dir"),
            plugins_extra_dirs: list(&args.plugins_extra_dirs, "plugins_extra_dirs"),
            plugin_cache_dir: text(&args.plugin_cache_dir, "plugin_cache_dir"),
            kubeconfig: text(&args.kubeconfig, "kubeconfig"),
            out_of_cluster: text(&args.out_of_cluster, "out_of_cluster"),
            kube_identity: text(&args.kube_identity, "kube_identity"),
            reveal_secrets: text(&args.reveal_secrets, "reveal_secrets"),
            list_output: text(&args.list_output, "list_output"),
            answer_budget: text(&args.answer_budget, "answer_budget"),
            impersonation: RawImpersonation::default(),
            log_level: text(&args.log_level, "log_level"),
            log_format: text(&args.log_format, "log_format"),
            plugin_settings: RawPluginSettings::default(),
            access: RawAccess::default(),
        }
    }
}
