//! The configuration file: its YAML schema, and turning it into a [`Layer`].
//!
//! Scalars are read as text and parsed by the same functions as flags and
//! environment variables, so a value is valid in the file exactly when it is
//! valid on the command line. Unknown keys are errors: a typo must not
//! silently leave a security setting at its default.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use super::layer::{
    Layer, RawAccess, RawCapability, RawDirectory, RawImpersonation, RawIssuer, RawLimits,
    RawOverride, RawPluginSettings, RawToolRule,
};
use super::values::ListValue;
use super::{ConfigError, Origin, Sourced};

/// A YAML scalar (string, number or boolean) kept as its text.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Scalar(String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        match serde_yaml_ng::Value::deserialize(d)? {
            serde_yaml_ng::Value::String(s) => Ok(Scalar(s)),
            serde_yaml_ng::Value::Number(n) => Ok(Scalar(n.to_string())),
            serde_yaml_ng::Value::Bool(b) => Ok(Scalar(b.to_string())),
            other => Err(D::Error::custom(format!(
                "expected a single value, found {}",
                yaml_kind(&other)
            ))),
        }
    }
}

fn yaml_kind(value: &serde_yaml_ng::Value) -> &'static str {
    match value {
        serde_yaml_ng::Value::Null => "nothing (null)",
        serde_yaml_ng::Value::Bool(_) => "a boolean",
        serde_yaml_ng::Value::Number(_) => "a number",
        serde_yaml_ng::Value::String(_) => "a string",
        serde_yaml_ng::Value::Sequence(_) => "a list",
        serde_yaml_ng::Value::Mapping(_) => "a mapping",
        serde_yaml_ng::Value::Tagged(_) => "a tagged value",
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FileSettings {
    host: Option<Scalar>,
    port: Option<Scalar>,
    base_url: Option<Scalar>,
    allowed_origins: Option<ListValue>,
    shutdown_timeout: Option<Scalar>,
    no_auth: Option<Scalar>,
    metrics_listen: Option<Scalar>,
    #[serde(default)]
    mcp: McpSection,
    #[serde(default)]
    oidc: OidcSection,
    #[serde(default)]
    tools: ToolsSection,
    #[serde(default)]
    plugins: PluginsSection,
    #[serde(default)]
    kubernetes: KubernetesSection,
    #[serde(default)]
    logging: LoggingSection,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct McpSection {
    stateless: Option<Scalar>,
    request_timeout: Option<Scalar>,
    max_request_body: Option<Scalar>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct OidcSection {
    issuer_url: Option<Scalar>,
    client_id: Option<Scalar>,
    audience_mode: Option<Scalar>,
    allow_http: Option<Scalar>,
    signing_method: Option<ListValue>,
    scopes: Option<ListValue>,
    audience: Option<ListValue>,
    required_scopes: Option<ListValue>,
    hs256_secret_file: Option<Scalar>,
    leeway: Option<Scalar>,
    username_claim: Option<Scalar>,
    groups_claim: Option<Scalar>,
    /// More trusted issuers, each with its own settings.
    #[serde(default)]
    issuers: Vec<IssuerSection>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct IssuerSection {
    issuer_url: Option<Scalar>,
    allow_http: Option<Scalar>,
    audience: Option<ListValue>,
    required_scopes: Option<ListValue>,
    signing_method: Option<ListValue>,
    hs256_secret_file: Option<Scalar>,
    username_claim: Option<Scalar>,
    groups_claim: Option<Scalar>,
    /// How this issuer's callers are named in Kubernetes.
    #[serde(default)]
    impersonation: ImpersonationSection,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RuleSection {
    allow: Option<ListValue>,
    deny: Option<ListValue>,
    #[serde(default)]
    when: WhenSection,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct WhenSection {
    scopes: Option<ListValue>,
    groups: Option<ListValue>,
    #[serde(default)]
    claims: std::collections::BTreeMap<String, Scalar>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ToolsSection {
    allowed: Option<ListValue>,
    disallowed: Option<ListValue>,
    /// Allow and deny rules by scope, group or claim.
    #[serde(default)]
    rules: Vec<RuleSection>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PluginsSection {
    dir: Option<Scalar>,
    extra_dirs: Option<ListValue>,
    cache_dir: Option<Scalar>,
    /// Limits of every plugin's calls.
    limits: Option<LimitsSection>,
    /// Plugin name → what differs for that plugin.
    #[serde(default)]
    overrides: std::collections::BTreeMap<String, OverrideSection>,
    /// Plugin name → the Kubernetes capabilities the operator grants it.
    #[serde(default)]
    grants: std::collections::BTreeMap<String, Vec<CapabilitySection>>,
    /// Plugin name → `sha256:<hex>` its file must have.
    #[serde(default)]
    pins: std::collections::BTreeMap<String, Scalar>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CapabilitySection {
    verbs: Option<ListValue>,
    api_groups: Option<ListValue>,
    resources: Option<ListValue>,
    namespaces: Option<ListValue>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct LimitsSection {
    timeout: Option<Scalar>,
    memory: Option<Scalar>,
    output: Option<Scalar>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct OverrideSection {
    limits: Option<LimitsSection>,
    directory: Option<DirectorySection>,
    /// Settings the plugin reads through the `config` import.
    #[serde(default)]
    settings: std::collections::BTreeMap<String, Scalar>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct DirectorySection {
    mode: Option<Scalar>,
    path: Option<Scalar>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct KubernetesSection {
    kubeconfig: Option<Scalar>,
    out_of_cluster: Option<Scalar>,
    identity: Option<Scalar>,
    reveal_secrets: Option<Scalar>,
    list_output: Option<Scalar>,
    answer_budget: Option<Scalar>,
    #[serde(default)]
    impersonation: ImpersonationSection,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ImpersonationSection {
    username_claim: Option<Scalar>,
    user_prefix: Option<Scalar>,
    group_prefix: Option<Scalar>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct LoggingSection {
    level: Option<Scalar>,
    format: Option<Scalar>,
}

/// Reads and parses the configuration file at `path`.
pub fn load(path: &Path) -> Result<Layer, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
        path: path.to_owned(),
        message: format!("cannot read it: {e}"),
    })?;
    parse(&text, path)
}

/// Parses configuration file text; `path` is only used in messages.
pub fn parse(text: &str, path: &Path) -> Result<Layer, ConfigError> {
    // An empty file (or one holding only comments) is an empty configuration.
    let settings: FileSettings = if text.trim().is_empty() || is_only_comments(text) {
        FileSettings::default()
    } else {
        let deserializer = serde_yaml_ng::Deserializer::from_str(text);
        serde_path_to_error::deserialize(deserializer).map_err(|e| {
            // serde_yaml_ng names the key in some messages and not others;
            // the tracked path makes every message start with the full key.
            let key = e.path().to_string();
            let inner = e.into_inner().to_string();
            let own_prefix = inner
                .split_once(": ")
                .filter(|(prefix, _)| key.starts_with(prefix))
                .map(|(_, rest)| rest.to_owned());
            let message = match (key.as_str(), own_prefix) {
                ("." | "?", _) => inner,
                (_, Some(rest)) => format!("{key}: {rest}"),
                (_, None) => format!("{key}: {inner}"),
            };
            ConfigError::File {
                path: path.to_owned(),
                message,
            }
        })?
    };
    Ok(settings.into_layer(Arc::new(path.to_owned())))
}

fn is_only_comments(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .all(|line| line.is_empty() || line.starts_with('#') || line == "---")
}

impl FileSettings {
    fn into_layer(mut self, path: Arc<PathBuf>) -> Layer {
        let at = |key: &str| Origin::File {
            key: key.to_owned(),
            path: path.clone(),
        };
        let scalar = |value: Option<Scalar>, key: &str| {
            value.map(|Scalar(text)| Sourced::new(text, at(key)))
        };
        let list = |value: Option<ListValue>, key: &str| {
            value.map(|l| Sourced::new(l.into_vec(), at(key)))
        };
        let limits = |section: Option<LimitsSection>, prefix: &str| {
            let section = section.unwrap_or_default();
            RawLimits {
                timeout: scalar(section.timeout, &format!("{prefix}.timeout")),
                memory: scalar(section.memory, &format!("{prefix}.memory")),
                output: scalar(section.output, &format!("{prefix}.output")),
            }
        };
        let grants = self
            .plugins
            .grants
            .into_iter()
            .map(|(name, capabilities)| {
                let raw = capabilities
                    .into_iter()
                    .enumerate()
                    .map(|(i, c)| {
                        let prefix = format!("plugins.grants.{name}[{i}]");
                        RawCapability {
                            at: at(&prefix),
                            verbs: list(c.verbs, &format!("{prefix}.verbs")),
                            api_groups: c.api_groups.map(|l| {
                                Sourced::new(
                                    l.into_vec_keeping_empty(),
                                    at(&format!("{prefix}.apiGroups")),
                                )
                            }),
                            resources: list(c.resources, &format!("{prefix}.resources")),
                            namespaces: list(c.namespaces, &format!("{prefix}.namespaces")),
                        }
                    })
                    .collect();
                (name, raw)
            })
            .collect();
        let issuers = self
            .oidc
            .issuers
            .into_iter()
            .enumerate()
            .map(|(i, section)| {
                let prefix = format!("oidc.issuers[{i}]");
                let key = |name: &str| format!("{prefix}.{name}");
                RawIssuer {
                    at: at(&prefix),
                    issuer_url: scalar(section.issuer_url, &key("issuerUrl")),
                    allow_http: scalar(section.allow_http, &key("allowHttp")),
                    audience: list(section.audience, &key("audience")),
                    required_scopes: list(section.required_scopes, &key("requiredScopes")),
                    signing_method: list(section.signing_method, &key("signingMethod")),
                    hs256_secret_file: scalar(section.hs256_secret_file, &key("hs256SecretFile")),
                    username_claim: scalar(section.username_claim, &key("usernameClaim")),
                    groups_claim: scalar(section.groups_claim, &key("groupsClaim")),
                    impersonation: RawImpersonation {
                        username_claim: scalar(
                            section.impersonation.username_claim,
                            &key("impersonation.usernameClaim"),
                        ),
                        user_prefix: scalar(
                            section.impersonation.user_prefix,
                            &key("impersonation.userPrefix"),
                        ),
                        group_prefix: scalar(
                            section.impersonation.group_prefix,
                            &key("impersonation.groupPrefix"),
                        ),
                    },
                }
            })
            .collect();
        let rules = self
            .tools
            .rules
            .into_iter()
            .enumerate()
            .map(|(i, rule)| {
                let prefix = format!("tools.rules[{i}]");
                let key = |name: &str| format!("{prefix}.{name}");
                RawToolRule {
                    at: at(&prefix),
                    allow: list(rule.allow, &key("allow")),
                    deny: list(rule.deny, &key("deny")),
                    scopes: list(rule.when.scopes, &key("when.scopes")),
                    groups: list(rule.when.groups, &key("when.groups")),
                    claims: rule
                        .when
                        .claims
                        .into_iter()
                        .map(|(claim, Scalar(value))| {
                            let origin = at(&key(&format!("when.claims.{claim}")));
                            (claim, Sourced::new(value, origin))
                        })
                        .collect(),
                }
            })
            .collect();
        let access = RawAccess { issuers, rules };
        let pins = std::mem::take(&mut self.plugins.pins)
            .into_iter()
            .map(|(name, Scalar(pin))| {
                let origin = at(&format!("plugins.pins.{name}"));
                (name, Sourced::new(pin, origin))
            })
            .collect();
        let plugin_settings = RawPluginSettings {
            grants,
            pins,
            limits: limits(self.plugins.limits, "plugins.limits"),
            overrides: self
                .plugins
                .overrides
                .into_iter()
                .map(|(name, section)| {
                    let prefix = format!("plugins.overrides.{name}");
                    let directory = section.directory.map(|d| RawDirectory {
                        at: at(&format!("{prefix}.directory")),
                        mode: scalar(d.mode, &format!("{prefix}.directory.mode")),
                        path: scalar(d.path, &format!("{prefix}.directory.path")),
                    });
                    let raw = RawOverride {
                        at: at(&prefix),
                        limits: limits(section.limits, &format!("{prefix}.limits")),
                        directory,
                        settings: section
                            .settings
                            .into_iter()
                            .map(|(k, Scalar(v))| (k, v))
                            .collect(),
                    };
                    (name, raw)
                })
                .collect(),
        };
        Layer {
            host: scalar(self.host, "host"),
            port: scalar(self.port, "port"),
            base_url: scalar(self.base_url, "baseUrl"),
            allowed_origins: list(self.allowed_origins, "allowedOrigins"),
            shutdown_timeout: scalar(self.shutdown_timeout, "shutdownTimeout"),
            no_auth: scalar(self.no_auth, "noAuth"),
            metrics_listen: scalar(self.metrics_listen, "metricsListen"),
            stateless: scalar(self.mcp.stateless, "mcp.stateless"),
            request_timeout: scalar(self.mcp.request_timeout, "mcp.requestTimeout"),
            max_request_body: scalar(self.mcp.max_request_body, "mcp.maxRequestBody"),
            oidc_issuer_url: scalar(self.oidc.issuer_url, "oidc.issuerUrl"),
            oidc_client_id: scalar(self.oidc.client_id, "oidc.clientId"),
            oidc_audience_mode: scalar(self.oidc.audience_mode, "oidc.audienceMode"),
            oidc_allow_http: scalar(self.oidc.allow_http, "oidc.allowHttp"),
            oidc_signing_method: list(self.oidc.signing_method, "oidc.signingMethod"),
            oidc_scopes: list(self.oidc.scopes, "oidc.scopes"),
            oidc_audience: list(self.oidc.audience, "oidc.audience"),
            oidc_required_scopes: list(self.oidc.required_scopes, "oidc.requiredScopes"),
            oidc_hs256_secret_file: scalar(self.oidc.hs256_secret_file, "oidc.hs256SecretFile"),
            oidc_leeway: scalar(self.oidc.leeway, "oidc.leeway"),
            oidc_username_claim: scalar(self.oidc.username_claim, "oidc.usernameClaim"),
            oidc_groups_claim: scalar(self.oidc.groups_claim, "oidc.groupsClaim"),
            allowed_tools: list(self.tools.allowed, "tools.allowed"),
            disallowed_tools: list(self.tools.disallowed, "tools.disallowed"),
            plugins_dir: scalar(self.plugins.dir, "plugins.dir"),
            plugins_extra_dirs: list(self.plugins.extra_dirs, "plugins.extraDirs"),
            plugin_cache_dir: scalar(self.plugins.cache_dir, "plugins.cacheDir"),
            kubeconfig: scalar(self.kubernetes.kubeconfig, "kubernetes.kubeconfig"),
            out_of_cluster: scalar(self.kubernetes.out_of_cluster, "kubernetes.outOfCluster"),
            kube_identity: scalar(self.kubernetes.identity, "kubernetes.identity"),
            reveal_secrets: scalar(self.kubernetes.reveal_secrets, "kubernetes.revealSecrets"),
            list_output: scalar(self.kubernetes.list_output, "kubernetes.listOutput"),
            answer_budget: scalar(self.kubernetes.answer_budget, "kubernetes.answerBudget"),
            impersonation: RawImpersonation {
                username_claim: scalar(
                    self.kubernetes.impersonation.username_claim,
                    "kubernetes.impersonation.usernameClaim",
                ),
                user_prefix: scalar(
                    self.kubernetes.impersonation.user_prefix,
                    "kubernetes.impersonation.userPrefix",
                ),
                group_prefix: scalar(
                    self.kubernetes.impersonation.group_prefix,
                    "kubernetes.impersonation.groupPrefix",
                ),
            },
            log_level: scalar(self.logging.level, "logging.level"),
            log_format: scalar(self.logging.format, "logging.format"),
            plugin_settings,
            access,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_err(text: &str) -> String {
        parse(text, Path::new("c.yaml")).unwrap_err().to_string()
    }

    #[test]
    fn scalars_of_any_yaml_type_become_text() {
        let layer = parse(
            "port: 9100\nkubernetes:\n  outOfCluster: true\nlogging: {level: debug}\n",
            Path::new("c.yaml"),
        )
        .unwrap();
        assert_eq!(layer.port.unwrap().value, "9100");
        assert_eq!(layer.out_of_cluster.unwrap().value, "true");
        let level = layer.log_level.unwrap();
        assert_eq!(level.value, "debug");
        assert_eq!(level.origin.to_string(), "key 'logging.level' in c.yaml");
    }

    #[test]
    fn lists_accept_sequences_and_comma_strings() {
        let layer = parse(
            "oidc:\n  scopes: [openid, mcp]\ntools:\n  disallowed: \"a, b\"\n",
            Path::new("c.yaml"),
        )
        .unwrap();
        assert_eq!(layer.oidc_scopes.unwrap().value, vec!["openid", "mcp"]);
        assert_eq!(layer.disallowed_tools.unwrap().value, vec!["a", "b"]);
    }

    #[test]
    fn unknown_keys_and_wrong_shapes_are_named() {
        let err = parse_err("oidc:\n  isuerUrl: https://x\n");
        assert!(
            err.contains("oidc.isuerUrl: unknown field `isuerUrl`"),
            "{err}"
        );
        assert!(err.contains("c.yaml"), "{err}");
        let err = parse_err("port: [1, 2]\n");
        assert!(err.contains("port"), "{err}");
        assert!(
            err.contains("expected a single value, found a list"),
            "{err}"
        );
        let err = parse_err("port: 9000\n  bad-indent: x\n");
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn empty_and_comment_only_files_are_empty_configs() {
        for text in ["", "\n", "# nothing yet\n---\n"] {
            let layer = parse(text, Path::new("c.yaml")).unwrap();
            assert!(layer.port.is_none());
        }
    }
}
