//! The server's configuration: one typed [`Config`], resolved from defaults,
//! the YAML file, `KUBE_MCP_*` environment variables and flags, in rising
//! order of precedence, and validated before anything starts.
//!
//! Every value keeps its [`Origin`] until it has been checked, so an error
//! names the flag, variable or file key that holds the bad value.
//! `docs/configuration.md` lists every setting.

mod distribution;
mod file;
mod impersonation;
mod layer;
mod origin;
mod plugins;
pub mod settings;
pub mod values;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

pub use self::distribution::{DEFAULT_POLL_INTERVAL, DistributionConfig, Source};

pub use self::origin::{Origin, Sourced};
pub use self::plugins::{
    DirectoryGrant, MAX_MEMORY as PLUGIN_MAX_MEMORY, PluginLimits, PluginOverride, PluginSettings,
};
pub use self::settings::{Layer, ServerArgs};
use self::values::{
    LogFilter, LogFormat, parse_answer_budget, parse_bool, parse_count, parse_duration, parse_host,
    parse_http_url, parse_port, parse_signing_methods, parse_size,
};
pub use crate::auth::issuer::{IssuerConfig, KubeNaming, Secret, SigningAlgorithm, is_loopback};
pub use crate::kube::{KubeIdentity, KubernetesConfig};
pub use crate::policy::tools::ToolFilter;
use crate::policy::tools::{Condition, Effect, ToolRule};

/// Where first-party plugins are installed in the image.
pub const DEFAULT_PLUGINS_DIR: &str = "/usr/lib/kube-mcp/plugins";
pub const DEFAULT_PORT: u16 = 9000;
/// Shorter than Kubernetes' default 30 s grace period, so the server exits on
/// its own before the kubelet kills it.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(25);
/// The longest one MCP request may take, unless configured.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
pub const DEFAULT_TASK_TIMEOUT: Duration = Duration::from_secs(15 * 60);
pub const DEFAULT_MAX_TASKS_PER_CALLER: usize = 8;
/// The largest MCP request body accepted, unless configured.
pub const DEFAULT_MAX_REQUEST_BODY: u64 = 1 << 20;

/// A configuration that could not be used. Displays as one line.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {}: {}", .path.display(), one_line(.message))]
    File { path: PathBuf, message: String },
    #[error("{origin}: {}", one_line(.message))]
    Invalid { origin: Origin, message: String },
    #[error("{first} and {second} are both set: {message}")]
    Conflict {
        first: Origin,
        second: Origin,
        message: &'static str,
    },
}

use crate::text::one_line;

/// The validated configuration of `kube-mcp serve`.
#[derive(Debug, Clone)]
pub struct Config {
    pub server: ServerConfig,
    pub oidc: OidcConfig,
    pub tools: ToolFilter,
    /// Per-caller allow and deny rules (`tools.rules`), in file order.
    pub tool_rules: Vec<ToolRule>,
    pub plugins: PluginsConfig,
    pub kubernetes: KubernetesConfig,
    pub logging: LoggingConfig,
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// The public URL; `None` means "derive it from the bound address".
    pub base_url: Option<Url>,
    /// Browser origins allowed to call (`scheme://host[:port]`, or `*`).
    pub allowed_origins: Vec<String>,
    pub shutdown_timeout: Duration,
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
}

/// Token validation settings. Consumed by the `auth` module.
#[derive(Debug, Clone)]
pub struct OidcConfig {
    pub client_id: Option<String>,
    /// Which audiences a token may name when an issuer lists none.
    pub audience_mode: AudienceMode,
    /// Scopes advertised to clients (`scopes_supported`).
    pub scopes: Vec<String>,
    /// Clock skew allowed on `exp`, `nbf` and `iat`.
    pub leeway: Duration,
    /// Every trusted issuer: the one of the flags first, then `oidc.issuers`.
    pub issuers: Vec<IssuerConfig>,
}

/// Which `aud` values are accepted from an issuer that lists none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AudienceMode {
    /// This server's resource URLs and the client ID, as the Go server: an
    /// IdP such as Entra ID puts the application's client ID in `aud`.
    #[default]
    Compatible,
    /// Only this server's resource URLs (RFC 8707, as MCP requires): a
    /// token meant for another service sharing the client ID is refused.
    Resource,
}

impl std::str::FromStr for AudienceMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "compatible" => Ok(AudienceMode::Compatible),
            "resource" => Ok(AudienceMode::Resource),
            other => Err(format!(
                "'{other}' is not an audience mode: use compatible or resource"
            )),
        }
    }
}

/// Claims read when a token does not name others.
pub const DEFAULT_USERNAME_CLAIM: &str = "preferred_username";
pub const DEFAULT_GROUPS_CLAIM: &str = "groups";
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(30);

#[derive(Debug, Clone)]
pub struct PluginsConfig {
    /// The plugin folder; `None` when every plugin comes from a registry.
    pub dir: Option<PathBuf>,
    /// Plugins pulled by reference, and the trust policy.
    pub distribution: DistributionConfig,
    /// More directories of plugins.
    pub extra_dirs: Vec<PathBuf>,
    /// Where compiled code is cached; `None` when the cache is off.
    pub cache_dir: Option<PathBuf>,
    /// Limits and directory grants, by plugin.
    pub settings: PluginSettings,
}

#[derive(Debug, Clone)]
pub struct LoggingConfig {
    pub filter: LogFilter,
    pub format: LogFormat,
}

impl Config {
    /// Loads the configuration for `serve`: the file named by `--config` /
    /// `KUBE_MCP_CONFIG` (if any) under the flags and environment variables.
    pub fn load(args: &ServerArgs) -> Result<Config, ConfigError> {
        let from_args = Layer::from_args(args);
        let from_file = match &args.config {
            Some(path) => file::load(path)?,
            None => Layer::default(),
        };
        Config::resolve(from_args.over(from_file))
    }

    /// Parses and validates the merged settings, filling in defaults: one
    /// section at a time, then the checks that span sections.
    pub fn resolve(mut layer: Layer) -> Result<Config, ConfigError> {
        let server = server_section(&mut layer)?;
        let oidc = oidc_section(&mut layer)?;
        let (tools, tool_rules) = tools_section(&mut layer)?;
        let plugins = plugins_section(&mut layer)?;
        let kubernetes = kubernetes_section(&mut layer)?;
        if kubernetes.identity == KubeIdentity::Impersonate {
            impersonation::check_distinct(
                oidc.issuers.iter().map(|i| (i.issuer.as_str(), &i.naming)),
            )?;
        }
        let logging = logging_section(&mut layer)?;
        Ok(Config {
            server,
            oidc,
            tools,
            tool_rules,
            plugins,
            kubernetes,
            logging,
        })
    }
}

/// Parses a setting that was given, keeping its origin for errors.
fn parse<T>(
    value: Option<Sourced<String>>,
    parser: impl FnOnce(&str) -> Result<T, String>,
) -> Result<Option<Sourced<T>>, ConfigError> {
    value.map(|v| v.try_map(|text| parser(&text))).transpose()
}

/// The listener, the public URL, shutdown and `mcp.*`.
fn server_section(layer: &mut Layer) -> Result<ServerConfig, ConfigError> {
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
    };
    Ok(ServerConfig {
        listen: SocketAddr::new(host, port),
        base_url,
        allowed_origins,
        shutdown_timeout,
        no_auth: no_auth.is_some_and(|n| n.value),
        metrics_listen,
        mcp,
    })
}

/// `oidc.*`: the issuer of the flags first, then `oidc.issuers`.
fn oidc_section(layer: &mut Layer) -> Result<OidcConfig, ConfigError> {
    let signing_methods = match layer.oidc_signing_method.take() {
        Some(list) => list.try_map(|items| parse_signing_methods(&items))?,
        None => Sourced::default_value(vec![SigningAlgorithm::RS256], "oidc.signingMethod"),
    };
    let issuer_as_written = layer
        .oidc_issuer_url
        .as_ref()
        .map(|u| u.value.trim().to_owned());
    let allow_http = parse(layer.oidc_allow_http.take(), parse_bool)?.is_some_and(|b| b.value);
    let issuer_url = parse(layer.oidc_issuer_url.take(), |u| {
        issuer_https(u, allow_http)
    })?;
    let username_claim = parse(layer.oidc_username_claim.take(), non_empty)?
        .map_or_else(|| DEFAULT_USERNAME_CLAIM.to_owned(), |c| c.value);
    let groups_claim = parse(layer.oidc_groups_claim.take(), non_empty)?
        .map_or_else(|| DEFAULT_GROUPS_CLAIM.to_owned(), |c| c.value);
    let inherited_claim = layer
        .impersonation
        .username_claim
        .clone()
        .map(|c| c.try_map(|c| non_empty(&c)))
        .transpose()?
        .map(|c| c.value);
    let mut issuers = Vec::new();
    if issuer_url.is_none()
        && let Some(prefix) = layer
            .impersonation
            .user_prefix
            .as_ref()
            .or(layer.impersonation.group_prefix.as_ref())
    {
        return Err(ConfigError::Invalid {
            origin: prefix.origin.clone(),
            message: "this prefix is for the issuer of oidc.issuerUrl, and none is set; give each of oidc.issuers its own impersonation prefixes"
                .into(),
        });
    }
    if let Some(url) = &issuer_url {
        let issuer = issuer_as_written.clone().unwrap_or_default();
        issuers.push(IssuerConfig {
            allow_http,
            naming: KubeNaming::resolve(
                &issuer,
                layer.impersonation.clone(),
                inherited_claim.as_deref(),
            )?,
            issuer,
            issuer_url: url.value.clone(),
            audiences: layer
                .oidc_audience
                .take()
                .map(|a| a.value)
                .unwrap_or_default(),
            required_scopes: layer
                .oidc_required_scopes
                .take()
                .map(|a| a.value)
                .unwrap_or_default(),
            hs256_secret: read_secret(layer.oidc_hs256_secret_file.take(), &signing_methods)?,
            algorithms: signing_methods.value.clone(),
            username_claim: username_claim.clone(),
            groups_claim: groups_claim.clone(),
        });
    }
    for raw in std::mem::take(&mut layer.access.issuers) {
        issuers.push(issuer(
            raw,
            &signing_methods,
            &username_claim,
            &groups_claim,
            inherited_claim.as_deref(),
        )?);
    }

    for (i, a) in issuers.iter().enumerate() {
        if issuers[..i].iter().any(|b| b.issuer_url == a.issuer_url) {
            return Err(ConfigError::Invalid {
                origin: Origin::Default("oidc.issuers"),
                message: format!("issuer {} is configured twice", a.issuer_url),
            });
        }
    }
    let audience_mode = parse(layer.oidc_audience_mode.take(), str::parse)?;
    if let Some(mode) = &audience_mode
        && mode.value == AudienceMode::Resource
        && let Some(listed) = issuers.iter().find(|i| !i.audiences.is_empty())
    {
        return Err(ConfigError::Invalid {
            origin: mode.origin.clone(),
            message: format!(
                "in resource mode the only audiences are this server's resource URLs, \
                 and issuer {} lists its own ({}); remove one of the two",
                listed.issuer,
                listed.audiences.join(", ")
            ),
        });
    }
    let audience_mode = audience_mode.map_or_else(Default::default, |m| m.value);
    Ok(OidcConfig {
        client_id: parse(layer.oidc_client_id.take(), non_empty)?.map(|c| c.value),
        audience_mode,
        scopes: layer
            .oidc_scopes
            .take()
            .map_or_else(|| vec!["openid".to_owned()], |s| s.value),
        leeway: parse(layer.oidc_leeway.take(), parse_duration)?
            .map_or(DEFAULT_LEEWAY, |d| d.value),
        issuers,
    })
}

/// `tools.*`: the global lists and the per-caller rules.
fn tools_section(layer: &mut Layer) -> Result<(ToolFilter, Vec<ToolRule>), ConfigError> {
    let tool_rules = std::mem::take(&mut layer.access.rules)
        .into_iter()
        .map(tool_rule)
        .collect::<Result<Vec<_>, _>>()?;

    let tools = tool_filter(layer.allowed_tools.take(), layer.disallowed_tools.take())?;
    Ok((tools, tool_rules))
}

/// `plugins.*`: where plugins come from, their cache, limits and grants.
fn plugins_section(layer: &mut Layer) -> Result<PluginsConfig, ConfigError> {
    let distribution = DistributionConfig::resolve(&mut layer.plugin_settings)?;
    let plugin_settings = PluginSettings::resolve(std::mem::take(&mut layer.plugin_settings))?;
    let plugins_dir = match layer.plugins_dir.take() {
        Some(dir) => Some(dir.try_map(|dir| existing_dir(&dir))?.value),
        // Plugins from registries only: no folder unless one is there.
        None if !distribution.sources.is_empty() => {
            Some(PathBuf::from(DEFAULT_PLUGINS_DIR)).filter(|d| d.is_dir())
        }
        None => Some({
            Sourced::default_value(DEFAULT_PLUGINS_DIR, "plugins.dir")
                .try_map(|dir| {
                    existing_dir(dir)
                        .map_err(|e| format!("{e}; set --plugins-dir or KUBE_MCP_PLUGINS_DIR"))
                })?
                .value
        }),
    };
    Ok(PluginsConfig {
        dir: plugins_dir,
        distribution,
        extra_dirs: match layer.plugins_extra_dirs.take() {
            Some(dirs) => {
                dirs.try_map(|dirs| dirs.iter().map(|d| existing_dir(d)).collect())?
                    .value
            }
            None => Vec::new(),
        },
        cache_dir: match layer.plugin_cache_dir.take() {
            Some(dir) if dir.value.trim() == "none" => None,
            Some(dir) => Some(dir.try_map(|d| non_empty(&d))?.value.into()),
            None => default_cache_dir(),
        },
        settings: plugin_settings,
    })
}

/// `kubernetes.*`: the cluster, whose identity, and how answers look.
fn kubernetes_section(layer: &mut Layer) -> Result<KubernetesConfig, ConfigError> {
    Ok(KubernetesConfig {
        kubeconfig: parse(layer.kubeconfig.take(), existing_file)?.map(|k| k.value),
        out_of_cluster: parse(layer.out_of_cluster.take(), parse_bool)?.is_some_and(|b| b.value),
        identity: match parse(layer.kube_identity.take(), |s| match s {
            "serviceAccount" | "service-account" => Ok(false),
            "impersonate" => Ok(true),
            other => Err(format!(
                "'{other}' is not an identity mode: use serviceAccount or impersonate"
            )),
        })?
        .map(|m| m.value)
        {
            Some(true) => KubeIdentity::Impersonate,
            _ => KubeIdentity::ServiceAccount,
        },
        reveal_secrets: parse(layer.reveal_secrets.take(), parse_bool)?.is_some_and(|b| b.value),
        answers: crate::answer::Defaults {
            list_format: parse(layer.list_output.take(), str::parse)?
                .map_or_else(Default::default, |f| f.value),
            budget: parse(layer.answer_budget.take(), parse_answer_budget)?
                .map_or(crate::answer::DEFAULT_BUDGET, |b| b.value),
        },
    })
}

/// `logging.*`.
fn logging_section(layer: &mut Layer) -> Result<LoggingConfig, ConfigError> {
    Ok(LoggingConfig {
        filter: parse(layer.log_level.take(), str::parse)?
            .map_or_else(LogFilter::default, |l| l.value),
        format: parse(layer.log_format.take(), str::parse)?
            .map_or_else(LogFormat::default, |f| f.value),
    })
}

fn read_secret(
    file: Option<Sourced<String>>,
    algorithms: &Sourced<Vec<SigningAlgorithm>>,
) -> Result<Option<Secret>, ConfigError> {
    let hs256 = algorithms.value.contains(&SigningAlgorithm::HS256);
    match file {
        None if hs256 => Err(ConfigError::Invalid {
            origin: algorithms.origin.clone(),
            message: "HS256 needs its shared secret in a file: set --oidc-hs256-secret-file \
                      (KUBE_MCP_OIDC_HS256_SECRET_FILE, oidc.hs256SecretFile)"
                .into(),
        }),
        None => Ok(None),
        Some(file) => file
            .try_map(|path| {
                let bytes =
                    std::fs::read(&path).map_err(|e| format!("cannot read '{path}': {e}"))?;
                // A trailing newline from `echo secret > file` is not part of it.
                let trimmed = bytes.trim_ascii_end().to_vec();
                if trimmed.len() < 32 {
                    return Err(format!(
                        "the HS256 secret in '{path}' is {} bytes; use at least 32",
                        trimmed.len()
                    ));
                }
                Ok(Secret(trimmed))
            })
            .map(|s| Some(s.value)),
    }
}

/// One entry of `oidc.issuers`; unset values fall back to the flags'.
fn issuer(
    raw: layer::RawIssuer,
    default_algorithms: &Sourced<Vec<SigningAlgorithm>>,
    username_claim: &str,
    groups_claim: &str,
    inherited_user_claim: Option<&str>,
) -> Result<IssuerConfig, ConfigError> {
    let issuer_url = raw.issuer_url.ok_or_else(|| ConfigError::Invalid {
        origin: raw.at.clone(),
        message: "missing issuerUrl".into(),
    })?;
    let issuer = issuer_url.value.trim().to_owned();
    let allow_http = match raw.allow_http {
        Some(b) => b.try_map(|b| parse_bool(&b))?.value,
        None => false,
    };
    let issuer_url = issuer_url.try_map(|u| issuer_https(&u, allow_http))?.value;
    // Inherited algorithms leave HS256 out: a shared secret belongs to one
    // issuer, so another one must list HS256 with a secret file of its own.
    let algorithms = match raw.signing_method {
        Some(list) => list.try_map(|items| parse_signing_methods(&items))?,
        None => default_algorithms.clone().map(|algs| {
            algs.into_iter()
                .filter(|a| *a != SigningAlgorithm::HS256)
                .collect()
        }),
    };
    let claim = |value: Option<Sourced<String>>, default: &str| -> Result<String, ConfigError> {
        Ok(match value {
            Some(v) => v.try_map(|c| non_empty(&c))?.value,
            None => default.to_owned(),
        })
    };
    Ok(IssuerConfig {
        allow_http,
        naming: KubeNaming::resolve(&issuer, raw.impersonation, inherited_user_claim)?,
        issuer,
        issuer_url,
        audiences: raw.audience.map(|a| a.value).unwrap_or_default(),
        required_scopes: raw.required_scopes.map(|a| a.value).unwrap_or_default(),
        hs256_secret: read_secret(raw.hs256_secret_file, &algorithms)?,
        algorithms: algorithms.value,
        username_claim: claim(raw.username_claim, username_claim)?,
        groups_claim: claim(raw.groups_claim, groups_claim)?,
    })
}

/// An issuer URL: `https`, or `http` on a loopback host (a local IdP) or
/// with `allowHttp` (an in-cluster IdP without TLS, the operator's choice).
/// Keys fetched over plain HTTP can be swapped by anyone on the path.
fn issuer_https(s: &str, allow_http: bool) -> Result<Url, String> {
    let url = parse_http_url(s)?;
    if url.scheme() == "http" && !allow_http && !is_loopback(&url) {
        return Err(format!(
            "'{s}' is plain HTTP: anyone on the network path could replace the issuer's keys; \
             use https, or set allowHttp: true for an in-cluster IdP without TLS"
        ));
    }
    Ok(url)
}

/// One entry of `tools.rules`: exactly one of `allow` and `deny`.
fn tool_rule(raw: layer::RawToolRule) -> Result<ToolRule, ConfigError> {
    let (effect, patterns) = match (raw.allow, raw.deny) {
        (Some(a), None) => (Effect::Allow, a.value),
        (None, Some(d)) => (Effect::Deny, d.value),
        (Some(a), Some(d)) => {
            return Err(ConfigError::Conflict {
                first: a.origin,
                second: d.origin,
                message: "a rule either allows or denies; write two rules",
            });
        }
        (None, None) => {
            return Err(ConfigError::Invalid {
                origin: raw.at,
                message: "a rule needs 'allow' or 'deny' (a list of tool names or patterns)".into(),
            });
        }
    };
    if patterns.is_empty() {
        return Err(ConfigError::Invalid {
            origin: raw.at,
            message: "the rule names no tools".into(),
        });
    }
    Ok(ToolRule {
        effect,
        patterns,
        when: Condition {
            scopes: raw.scopes.map(|s| s.value).unwrap_or_default(),
            groups: raw.groups.map(|g| g.value).unwrap_or_default(),
            claims: raw.claims.into_iter().map(|(k, v)| (k, v.value)).collect(),
        },
    })
}

/// The seed's rule: an allow-list or a deny-list, never both.
fn tool_filter(
    allowed: Option<Sourced<Vec<String>>>,
    disallowed: Option<Sourced<Vec<String>>>,
) -> Result<ToolFilter, ConfigError> {
    // An empty list is the same as an unset one (the seed chart's `""`).
    let allowed = allowed.filter(|a| !a.value.is_empty());
    let disallowed = disallowed.filter(|d| !d.value.is_empty());
    match (allowed, disallowed) {
        (Some(a), Some(d)) => Err(ConfigError::Conflict {
            first: a.origin,
            second: d.origin,
            message: "give either an allowed-tools or a disallowed-tools list, not both",
        }),
        (Some(a), None) => Ok(ToolFilter::Allowed(a.value)),
        (None, Some(d)) => Ok(ToolFilter::Disallowed(d.value)),
        (None, None) => Ok(ToolFilter::All),
    }
}

fn parse_origins(items: Vec<String>) -> Result<Vec<String>, String> {
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

/// `$XDG_CACHE_HOME/kube-mcp/compiled`, else `~/.cache/kube-mcp/compiled`.
fn default_cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("kube-mcp/compiled"))
}

fn non_empty(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.is_empty() {
        Err("must not be empty".into())
    } else {
        Ok(s.to_owned())
    }
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

fn existing_dir(path: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(path);
    match std::fs::metadata(&path) {
        Ok(meta) if meta.is_dir() => Ok(path),
        Ok(_) => Err(format!("{} is not a directory", path.display())),
        Err(e) => Err(format!("cannot use {} as a directory: {e}", path.display())),
    }
}

fn existing_file(path: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(path);
    match std::fs::metadata(&path) {
        Ok(meta) if meta.is_file() => Ok(path),
        Ok(_) => Err(format!("{} is not a file", path.display())),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn flag(name: &str, value: &str) -> Option<Sourced<String>> {
        Some(Sourced::new(
            value.to_owned(),
            Origin::Flag(name.to_owned()),
        ))
    }

    fn env_list(name: &str, value: &[&str]) -> Option<Sourced<Vec<String>>> {
        let items = value.iter().map(|s| s.to_string()).collect();
        Some(Sourced::new(items, Origin::Env(name.to_owned())))
    }

    fn with_plugins_dir(layer: Layer) -> Layer {
        Layer {
            plugins_dir: flag("--plugins-dir", env!("CARGO_MANIFEST_DIR")),
            ..layer
        }
    }

    #[test]
    fn defaults_are_safe() {
        let config = Config::resolve(with_plugins_dir(Layer::default())).unwrap();
        assert_eq!(config.server.listen.to_string(), "127.0.0.1:9000");
        assert!(
            config.oidc.issuers.is_empty(),
            "no issuer unless one is set"
        );
        assert_eq!(config.oidc.scopes, vec!["openid"]);
        // An issuer accepts RS256 only unless told otherwise.
        let with_issuer = Config::resolve(with_plugins_dir(Layer {
            oidc_issuer_url: flag("--oidc-issuer-url", "https://idp.example.com"),
            ..Layer::default()
        }))
        .unwrap();
        assert_eq!(
            with_issuer.oidc.issuers[0].algorithms,
            vec![SigningAlgorithm::RS256]
        );
        assert_eq!(config.tools, ToolFilter::All);
        assert!(!config.kubernetes.out_of_cluster);
        assert_eq!(config.server.shutdown_timeout, DEFAULT_SHUTDOWN_TIMEOUT);
    }

    #[test]
    fn issuers_must_be_https_unless_loopback_or_allowed() {
        let resolve = |yaml: &str| {
            let file = file::parse(yaml, Path::new("c.yaml")).unwrap();
            Config::resolve(with_plugins_dir(file)).map(|c| c.oidc.issuers)
        };
        let error = resolve("oidc:\n  issuerUrl: http://idp.example.com\n")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("oidc.issuerUrl") && error.contains("plain HTTP"),
            "{error}"
        );
        let error =
            resolve("oidc:\n  issuers:\n    - issuerUrl: http://keycloak.idp:8080/realms/a\n")
                .unwrap_err()
                .to_string();
        assert!(
            error.contains("oidc.issuers[0].issuerUrl") && error.contains("allowHttp"),
            "{error}"
        );
        for ok in [
            "oidc:\n  issuerUrl: http://127.0.0.1:8080\n",
            "oidc:\n  issuerUrl: http://localhost:8080\n",
            "oidc:\n  issuerUrl: http://[::1]:8080\n",
            "oidc:\n  issuerUrl: https://idp.example.com\n",
            "oidc:\n  issuerUrl: http://idp.example.com\n  allowHttp: true\n",
            "oidc:\n  issuers:\n    - {issuerUrl: 'http://kc:8080', allowHttp: true}\n",
        ] {
            let issuers = resolve(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert_eq!(issuers[0].allow_http, ok.contains("allowHttp"), "{ok}");
        }
    }

    #[test]
    fn pins_are_sha256_digests() {
        let resolve = |yaml: &str| {
            let file = file::parse(yaml, Path::new("c.yaml")).unwrap();
            Config::resolve(with_plugins_dir(file)).map(|c| c.plugins.settings.pins)
        };
        let hex = "ab".repeat(32);
        let pins = resolve(&format!("plugins:\n  pins:\n    kube-core: sha256:{hex}\n")).unwrap();
        assert_eq!(pins["kube-core"], [0xab; 32]);
        let error = resolve("plugins:\n  pins:\n    kube-core: md5:abc\n")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("plugins.pins.kube-core") && error.contains("sha256:<64 hex"),
            "{error}"
        );
    }

    #[test]
    fn sources_and_trust_resolve() {
        let key = crate::distribution::signature::SigningKey::from_pem(
            &crate::distribution::signature::SigningKey::generate(
                crate::distribution::signature::Algorithm::Ed25519,
            )
            .unwrap(),
        )
        .unwrap()
        .public_key()
        .to_pem();
        let indented: String = key.lines().map(|l| format!("          {l}\n")).collect();
        let yaml = format!(
            "plugins:\n  registry:\n    pollInterval: 30s\n  requireSignatures: true\n  \
             sources:\n    - name: kube-core\n      ref: oci://ghcr.io/acme/kube-core:1\n  \
             trust:\n    keys:\n      - name: acme\n        plugins: [kube-core]\n        \
             publicKey: |\n{indented}"
        );
        let file = file::parse(&yaml, Path::new("c.yaml")).unwrap();
        let config = Config::resolve(with_plugins_dir(file)).unwrap();
        let d = &config.plugins.distribution;
        assert_eq!(d.sources[0].name, "kube-core");
        assert_eq!(
            d.sources[0].reference.repository(),
            "ghcr.io/acme/kube-core"
        );
        assert_eq!(d.trust.keys[0].key.to_pem(), key);
        assert!(d.require_signatures);
        assert_eq!(d.poll_interval, Duration::from_secs(30));
    }

    #[test]
    fn bad_sources_and_keys_are_named() {
        let error = |yaml: &str| {
            let file = match file::parse(yaml, Path::new("c.yaml")) {
                Ok(file) => file,
                Err(e) => return e.to_string(),
            };
            Config::resolve(with_plugins_dir(file))
                .unwrap_err()
                .to_string()
        };
        let e = error("plugins:\n  sources:\n    - {name: kube-core, ref: 'ghcr.io/a/b:1'}\n");
        assert!(
            e.contains("plugins.sources[0].ref") && e.contains("oci://REGISTRY"),
            "{e}"
        );
        let e = error("plugins:\n  sources:\n    - {ref: 'oci://ghcr.io/a/b:1'}\n");
        assert!(
            e.contains("plugins.sources[0]") && e.contains("missing name"),
            "{e}"
        );
        let e = error("plugins:\n  sources:\n    - {name: Kube, ref: 'oci://ghcr.io/a/b:1'}\n");
        assert!(
            e.contains("plugins.sources[0].name") && e.contains("not a plugin name"),
            "{e}"
        );
        let e = error(
            "plugins:\n  sources:\n    - {name: a, ref: 'oci://r.io/a:1'}\n    - {name: a, ref: 'oci://r.io/b:1'}\n",
        );
        assert!(
            e.contains("plugins.sources[1].name") && e.contains("two sources"),
            "{e}"
        );
        let e = error("plugins:\n  sources:\n    - {name: a, ref: 'oci://r.io/a:1', tag: x}\n");
        assert!(e.contains("unknown field `tag`"), "{e}");
        let e = error(
            "plugins:\n  trust:\n    keys:\n      - {name: k, publicKey: nope, plugins: [a]}\n",
        );
        assert!(
            e.contains("plugins.trust.keys[0].publicKey") && e.contains("not a PEM"),
            "{e}"
        );
        let e = error(
            "plugins:\n  trust:\n    keys:\n      - {name: k, publicKeyFile: /nonexistent.pub}\n",
        );
        assert!(
            e.contains("plugins.trust.keys[0].publicKeyFile") && e.contains("cannot read"),
            "{e}"
        );
        let e = error("plugins:\n  requireSignatures: maybe\n");
        assert!(e.contains("plugins.requireSignatures"), "{e}");
        let e = error("plugins:\n  registry:\n    pollInterval: 1ms\n");
        assert!(
            e.contains("plugins.registry.pollInterval") && e.contains("too short"),
            "{e}"
        );
        let e = error("plugins:\n  registry:\n    authFile: /nonexistent.json\n");
        assert!(e.contains("plugins.registry.authFile"), "{e}");
    }

    #[test]
    fn a_trusted_key_must_say_what_it_signs() {
        let pem = crate::distribution::signature::SigningKey::from_pem(
            &crate::distribution::signature::SigningKey::generate(
                crate::distribution::signature::Algorithm::EcdsaP256,
            )
            .unwrap(),
        )
        .unwrap()
        .public_key()
        .to_pem();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.pub");
        std::fs::write(&path, pem).unwrap();
        let yaml = format!(
            "plugins:\n  trust:\n    keys:\n      - {{name: k, publicKeyFile: {}}}\n",
            path.display()
        );
        let file = file::parse(&yaml, Path::new("c.yaml")).unwrap();
        let e = Config::resolve(with_plugins_dir(file))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("plugins.trust.keys[0]") && e.contains("must say what it may sign"),
            "{e}"
        );
    }

    #[test]
    fn sources_alone_need_no_plugin_folder() {
        let file = file::parse(
            "plugins:\n  sources:\n    - {name: a, ref: 'oci://r.io/a:1'}\n",
            Path::new("c.yaml"),
        )
        .unwrap();
        let config = Config::resolve(file).unwrap();
        assert_eq!(config.plugins.dir, None);
    }

    #[test]
    fn resource_audience_mode_refuses_an_audience_list() {
        let file = file::parse(
            "oidc:\n  issuerUrl: https://idp.example.com\n  audienceMode: resource\n  \
             audience: [https://other.example.com]\n",
            Path::new("c.yaml"),
        )
        .unwrap();
        let error = Config::resolve(with_plugins_dir(file))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("oidc.audienceMode") && error.contains("resource mode"),
            "{error}"
        );
        let file = file::parse(
            "oidc:\n  issuerUrl: https://idp.example.com\n  audienceMode: strict\n",
            Path::new("c.yaml"),
        )
        .unwrap();
        let error = Config::resolve(with_plugins_dir(file))
            .unwrap_err()
            .to_string();
        assert!(error.contains("use compatible or resource"), "{error}");
    }

    #[test]
    fn upper_layers_win_field_by_field() {
        let file = file::parse("port: 9100\nhost: 0.0.0.0\n", Path::new("c.yaml")).unwrap();
        let args = Layer {
            port: flag("--port", "9200"),
            ..Layer::default()
        };
        let config = Config::resolve(with_plugins_dir(args.over(file))).unwrap();
        assert_eq!(config.server.listen.to_string(), "0.0.0.0:9200");
    }

    #[test]
    fn errors_name_where_the_value_came_from() {
        let layer = with_plugins_dir(Layer {
            port: Some(Sourced::new(
                "abc".into(),
                Origin::Env("KUBE_MCP_PORT".into()),
            )),
            ..Layer::default()
        });
        let err = Config::resolve(layer).unwrap_err().to_string();
        assert_eq!(
            err,
            "environment variable KUBE_MCP_PORT: 'abc' is not a port number (expected 0-65535)"
        );
    }

    #[test]
    fn allowed_and_disallowed_tools_conflict_unless_one_is_empty() {
        let both = with_plugins_dir(Layer {
            allowed_tools: env_list("KUBE_MCP_ALLOWED_TOOLS", &["list_pods"]),
            disallowed_tools: env_list("KUBE_MCP_DISALLOWED_TOOLS", &["get_secret"]),
            ..Layer::default()
        });
        let err = Config::resolve(both).unwrap_err().to_string();
        assert!(
            err.starts_with(
                "environment variable KUBE_MCP_ALLOWED_TOOLS and environment variable \
                 KUBE_MCP_DISALLOWED_TOOLS are both set"
            ),
            "{err}"
        );
        let allowed_only = with_plugins_dir(Layer {
            allowed_tools: env_list("KUBE_MCP_ALLOWED_TOOLS", &["list_pods"]),
            disallowed_tools: env_list("KUBE_MCP_DISALLOWED_TOOLS", &[]),
            ..Layer::default()
        });
        assert_eq!(
            Config::resolve(allowed_only).unwrap().tools,
            ToolFilter::Allowed(vec!["list_pods".into()])
        );
    }

    #[test]
    fn origins_are_normalised_and_paths_refused() {
        let ok = parse_origins(vec!["https://App.example.com:443".into(), "*".into()]).unwrap();
        assert_eq!(ok, vec!["https://app.example.com", "*"]);
        let err = parse_origins(vec!["https://app.example.com/x".into()]).unwrap_err();
        assert!(err.contains("is not an origin"), "{err}");
    }

    #[test]
    fn a_missing_plugins_dir_is_reported_with_its_origin() {
        let err = Config::resolve(Layer::default()).unwrap_err().to_string();
        assert!(
            err.starts_with("default of plugins.dir: cannot use /usr/lib/kube-mcp/plugins"),
            "{err}"
        );
    }
}
