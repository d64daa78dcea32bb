//! The server's configuration: one typed [`Config`], resolved from defaults,
//! the YAML file, `KUBE_MCP_*` environment variables and flags, in rising
//! order of precedence, and validated before anything starts.
//!
//! Every value keeps its [`Origin`] until it has been checked, so an error
//! names the flag, variable or file key that holds the bad value.
//! `docs/configuration.md` lists every setting.

//!
//! One file per section (`server`, `oidc`, `tools`, `plugins` with
//! `distribution`, `kubernetes`); the types a section resolves to belong to
//! the module that uses them (`auth`, `kube`, `policy`, `plugins`,
//! `distribution`) and are re-exported here.

mod distribution;
mod error;
mod file;
mod impersonation;
mod kubernetes;
mod layer;
mod oidc;
mod origin;
mod plugins;
mod server;
pub mod settings;
mod tools;
mod tracing;
pub mod values;

use std::time::Duration;

pub use self::error::ConfigError;
use self::error::parse;
pub use self::oidc::{
    AudienceMode, DEFAULT_GROUPS_CLAIM, DEFAULT_LEEWAY, DEFAULT_USERNAME_CLAIM, OidcConfig,
};
pub use self::origin::{Origin, Sourced};
pub use self::plugins::PluginsConfig;
pub use self::server::{McpConfig, ServerConfig};
pub use self::settings::{Layer, ServerArgs};
pub use self::tracing::TracingConfig;
use self::values::{LogFilter, LogFormat};
pub use crate::auth::issuer::{IssuerConfig, KubeNaming, Secret, SigningAlgorithm, is_loopback};
pub use crate::distribution::{DEFAULT_POLL_INTERVAL, DistributionConfig, Source};
pub use crate::kube::{KubeIdentity, KubernetesConfig};
pub use crate::plugins::settings::{
    DirectoryGrant, MAX_MEMORY as PLUGIN_MAX_MEMORY, PluginLimits, PluginOverride, PluginSettings,
};
pub use crate::policy::tools::ToolFilter;
use crate::policy::tools::ToolRule;

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
    pub tracing: TracingConfig,
}

#[derive(Debug, Clone)]
pub struct LoggingConfig {
    pub filter: LogFilter,
    pub format: LogFormat,
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
        let server = server::server_section(&mut layer)?;
        let oidc = oidc::oidc_section(&mut layer)?;
        let (tools, tool_rules) = tools::tools_section(&mut layer)?;
        let plugins = plugins::plugins_section(&mut layer)?;
        let kubernetes = kubernetes::kubernetes_section(&mut layer)?;
        if kubernetes.impersonates() {
            impersonation::check_distinct(
                oidc.issuers.iter().map(|i| (i.issuer.as_str(), &i.naming)),
            )?;
        }
        let logging = logging_section(&mut layer)?;
        let tracing = tracing::tracing_section(&mut layer)?;
        Ok(Config {
            server,
            oidc,
            tools,
            tool_rules,
            plugins,
            kubernetes,
            logging,
            tracing,
        })
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
        let ok =
            server::parse_origins(vec!["https://App.example.com:443".into(), "*".into()]).unwrap();
        assert_eq!(ok, vec!["https://app.example.com", "*"]);
        let err = server::parse_origins(vec!["https://app.example.com/x".into()]).unwrap_err();
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
