//! The configuration file: its YAML schema, and turning it into a [`Layer`].
//!
//! Scalars are read as text and parsed by the same functions as flags and
//! environment variables, so a value is valid in the file exactly when it is
//! valid on the command line. Unknown keys are errors: a typo must not
//! silently leave a security setting at its default.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use serde_yaml_ng::{Mapping, Value};

use super::layer::{
    RawAccess, RawCapability, RawCluster, RawDirectory, RawImpersonation, RawIssuer, RawLimits,
    RawOverride, RawPluginSettings, RawSource, RawTokenExchange, RawToolRule, RawTrustKey,
};
use super::settings::{Given, Kind, Layer, SETTINGS};
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

/// What is left of the file once every declared setting ([`SETTINGS`]) is
/// taken out of it: the structured settings. Keys were checked by
/// [`check_keys`] already.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FileSettings {
    #[serde(default)]
    oidc: OidcSection,
    #[serde(default)]
    tools: ToolsSection,
    #[serde(default)]
    plugins: PluginsSection,
    #[serde(default)]
    kubernetes: KubernetesSection,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OidcSection {
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
    clusters: Option<ListValue>,
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
#[serde(rename_all = "camelCase")]
struct ToolsSection {
    /// Allow and deny rules by scope, group or claim.
    #[serde(default)]
    rules: Vec<RuleSection>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PluginsSection {
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
    /// Plugins pulled from OCI registries.
    #[serde(default)]
    sources: Vec<SourceSection>,
    /// Keys that may sign plugins, and what each may sign.
    trust: Option<TrustSection>,
    /// Whether folder plugins need a detached signature too.
    require_signatures: Option<Scalar>,
    /// How registries are reached.
    registry: Option<RegistrySection>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SourceSection {
    name: Option<Scalar>,
    #[serde(rename = "ref", alias = "reference")]
    reference: Option<Scalar>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct TrustSection {
    #[serde(default)]
    keys: Vec<TrustKeySection>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct TrustKeySection {
    name: Option<Scalar>,
    public_key: Option<Scalar>,
    public_key_file: Option<Scalar>,
    plugins: Option<ListValue>,
    repositories: Option<ListValue>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RegistrySection {
    auth_file: Option<Scalar>,
    poll_interval: Option<Scalar>,
    store: Option<Scalar>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CapabilitySection {
    verbs: Option<ListValue>,
    api_groups: Option<ListValue>,
    resources: Option<ListValue>,
    namespaces: Option<ListValue>,
    resource_names: Option<ListValue>,
    label_selector: Option<Scalar>,
    clusters: Option<ListValue>,
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
    /// What the plugin's views (MCP Apps) may reach.
    apps: Option<AppsSection>,
    /// Settings the plugin reads through the `config` import.
    #[serde(default)]
    settings: std::collections::BTreeMap<String, Scalar>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AppsSection {
    /// Origins the plugin's views may reach (CSP sources).
    domains: Option<ListValue>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct DirectorySection {
    mode: Option<Scalar>,
    path: Option<Scalar>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct KubernetesSection {
    #[serde(default)]
    impersonation: ImpersonationSection,
    #[serde(default)]
    clusters: Vec<ClusterSection>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ClusterSection {
    name: Option<Scalar>,
    kubeconfig: Option<Scalar>,
    context: Option<Scalar>,
    all_contexts: Option<Scalar>,
    in_cluster: Option<Scalar>,
    identity: Option<Scalar>,
    default: Option<Scalar>,
    token_exchange: Option<TokenExchangeSection>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct TokenExchangeSection {
    token_url: Option<Scalar>,
    client_id: Option<Scalar>,
    client_secret_file: Option<Scalar>,
    audience: Option<Scalar>,
    scope: Option<Scalar>,
    ca_file: Option<Scalar>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ImpersonationSection {
    username_claim: Option<Scalar>,
    user_prefix: Option<Scalar>,
    group_prefix: Option<Scalar>,
}

/// Keys of the structured settings, by the section that holds them: they
/// are not in [`SETTINGS`] but are known keys all the same.
const STRUCTURED: &[(&str, &[&str])] = &[
    ("oidc", &["issuers"]),
    ("tools", &["rules"]),
    (
        "plugins",
        &[
            "limits",
            "overrides",
            "grants",
            "pins",
            "sources",
            "trust",
            "requireSignatures",
            "registry",
        ],
    ),
    ("kubernetes", &["impersonation", "clusters"]),
];

/// Reads and parses the configuration file at `path`.
pub fn load(path: &Path) -> Result<Layer, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Unreadable {
        path: path.to_owned(),
        source,
    })?;
    parse(&text, path)
}

/// Parses configuration file text; `path` is only used in messages.
pub fn parse(text: &str, path: &Path) -> Result<Layer, ConfigError> {
    let error = |message: String| ConfigError::File {
        path: path.to_owned(),
        message,
    };
    // An empty file (or one holding only comments) is an empty configuration.
    let mut tree = if text.trim().is_empty() || is_only_comments(text) {
        Value::Null
    } else {
        serde_yaml_ng::from_str::<Value>(text).map_err(|source| ConfigError::Yaml {
            path: path.to_owned(),
            source,
        })?
    };
    if tree.is_null() {
        tree = Value::Mapping(Mapping::new());
    }
    check_keys(&tree).map_err(|(key, message)| error(at_line(text, &key, message)))?;

    let origin_path = Arc::new(path.to_owned());
    let mut layer = Layer::default();
    for setting in SETTINGS {
        let Some(value) = take(&mut tree, setting.file_key) else {
            continue;
        };
        let at = Origin::File {
            key: setting.file_key.to_owned(),
            path: origin_path.clone(),
        };
        let key = setting.file_key;
        let given = match setting.kind {
            Kind::List => serde_yaml_ng::from_value::<ListValue>(value)
                .map(|l| Given::List(Sourced::new(l.into_vec(), at))),
            Kind::Text | Kind::Switch => serde_yaml_ng::from_value::<Scalar>(value)
                .map(|Scalar(t)| Given::Text(Sourced::new(t, at))),
        }
        .map_err(|e| error(at_line(text, key, format!("{key}: {e}"))))?;
        layer.put(setting.id, given);
    }

    let settings: FileSettings = serde_path_to_error::deserialize(tree).map_err(|e| {
        // serde_yaml_ng names the key in some messages and not others;
        // the tracked path makes every message start with the full key.
        let key = e.path().to_string();
        let inner = e.into_inner().to_string();
        let own_prefix = inner
            .split_once(": ")
            .filter(|(prefix, _)| key.starts_with(prefix))
            .map(|(_, rest)| rest.to_owned());
        error(match (key.as_str(), own_prefix) {
            ("." | "?", _) => inner,
            (_, Some(rest)) => format!("{key}: {rest}"),
            (_, None) => format!("{key}: {inner}"),
        })
    })?;
    Ok(settings.into_layer(origin_path, layer))
}

/// The sections of the file: the top, and every prefix of a declared key.
fn sections() -> Vec<&'static str> {
    let mut sections = vec![""];
    for setting in SETTINGS {
        if let Some((section, _)) = setting.file_key.rsplit_once('.')
            && !sections.contains(&section)
        {
            sections.push(section);
        }
    }
    sections
}

/// `message`, with where `key` (dotted) is written in `text` when it can be
/// found, as the YAML parser says where its errors are.
fn at_line(text: &str, key: &str, message: String) -> String {
    let mut from = 0;
    let mut indent = None;
    let mut found = None;
    for step in key.split('.') {
        found = text.lines().enumerate().skip(from).find_map(|(i, line)| {
            let body = line.trim_start();
            let depth = line.len() - body.len();
            let named = body
                .strip_prefix(step)
                .or_else(|| body.strip_prefix(&format!("\"{step}\"")))
                .or_else(|| body.strip_prefix(&format!("'{step}'")))
                .is_some_and(|rest| rest.trim_start().starts_with(':'));
            (named && indent.is_none_or(|outer| depth > outer)).then_some((i, depth))
        });
        let Some((line, depth)) = found else {
            return message;
        };
        from = line + 1;
        indent = Some(depth);
    }
    match found {
        Some((line, depth)) => format!("{message} at line {} column {}", line + 1, depth + 1),
        None => message,
    }
}

/// Refuses keys no setting has: a typo must not silently leave a security
/// setting at its default. Says which key (as the error's first part), and
/// which keys would do.
fn check_keys(tree: &Value) -> Result<(), (String, String)> {
    for section in sections() {
        let value = if section.is_empty() {
            Some(tree)
        } else {
            lookup(tree, section)
        };
        let Some(value) = value.filter(|v| !v.is_null()) else {
            continue;
        };
        let Value::Mapping(map) = value else {
            let key = if section.is_empty() {
                "the file"
            } else {
                section
            };
            let message = format!("{key}: expected a mapping, found {}", yaml_kind(value));
            return Err((section.to_owned(), message));
        };
        let mut known: Vec<&str> = Vec::new();
        let prefix = if section.is_empty() {
            String::new()
        } else {
            format!("{section}.")
        };
        for setting in SETTINGS {
            if let Some(rest) = setting.file_key.strip_prefix(&prefix) {
                let child = rest.split('.').next().unwrap_or(rest);
                if !known.contains(&child) {
                    known.push(child);
                }
            }
        }
        for (owner, keys) in STRUCTURED {
            if *owner == section {
                known.extend(keys.iter());
            }
        }
        for key in map.keys() {
            let Some(key) = key.as_str() else {
                let message = format!(
                    "{}keys must be strings, found {}",
                    if section.is_empty() {
                        String::new()
                    } else {
                        format!("{section}: ")
                    },
                    yaml_kind(key)
                );
                return Err((section.to_owned(), message));
            };
            if !known.contains(&key) {
                let message = format!("unknown field `{key}`, {}", expected(&known));
                return Err(if section.is_empty() {
                    (key.to_owned(), message)
                } else {
                    let path = format!("{section}.{key}");
                    (path.clone(), format!("{path}: {message}"))
                });
            }
        }
    }
    Ok(())
}

/// serde's wording for the fields it expected.
fn expected(known: &[&str]) -> String {
    let quoted: Vec<String> = known.iter().map(|k| format!("`{k}`")).collect();
    match quoted.as_slice() {
        [] => "there are no fields".into(),
        [one] => format!("expected {one}"),
        [a, b] => format!("expected {a} or {b}"),
        all => format!("expected one of {}", all.join(", ")),
    }
}

/// The value at a dotted key, if every step is a mapping that has it.
fn lookup<'a>(tree: &'a Value, key: &str) -> Option<&'a Value> {
    key.split('.').try_fold(tree, |value, step| value.get(step))
}

/// Takes the value at a dotted key out of the tree; a null counts as unset.
fn take(tree: &mut Value, key: &str) -> Option<Value> {
    let (section, leaf) = match key.rsplit_once('.') {
        Some((section, leaf)) => (Some(section), leaf),
        None => (None, key),
    };
    let parent = match section {
        Some(section) => section
            .split('.')
            .try_fold(&mut *tree, |value, step| value.get_mut(step))?,
        None => tree,
    };
    parent
        .as_mapping_mut()?
        .remove(leaf)
        .filter(|v| !v.is_null())
}

fn is_only_comments(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .all(|line| line.is_empty() || line.starts_with('#') || line == "---")
}

/// Origins of the values read from one file.
struct Origins(Arc<PathBuf>);

impl Origins {
    fn at(&self, key: &str) -> Origin {
        Origin::File {
            key: key.to_owned(),
            path: self.0.clone(),
        }
    }

    fn scalar(&self, value: Option<Scalar>, key: &str) -> Option<Sourced<String>> {
        value.map(|Scalar(text)| Sourced::new(text, self.at(key)))
    }

    fn list(&self, value: Option<ListValue>, key: &str) -> Option<Sourced<Vec<String>>> {
        value.map(|l| Sourced::new(l.into_vec(), self.at(key)))
    }

    fn limits(&self, section: Option<LimitsSection>, prefix: &str) -> RawLimits {
        let section = section.unwrap_or_default();
        RawLimits {
            timeout: self.scalar(section.timeout, &format!("{prefix}.timeout")),
            memory: self.scalar(section.memory, &format!("{prefix}.memory")),
            output: self.scalar(section.output, &format!("{prefix}.output")),
        }
    }
}

impl FileSettings {
    /// Adds the structured settings to `layer`, which holds the declared ones.
    fn into_layer(self, path: Arc<PathBuf>, layer: Layer) -> Layer {
        let file = Origins(path);
        let FileSettings {
            oidc,
            tools,
            plugins,
            kubernetes,
        } = self;
        Layer {
            access: RawAccess {
                issuers: issuers(&file, oidc.issuers),
                rules: rules(&file, tools.rules),
            },
            plugin_settings: plugin_settings(&file, plugins),
            impersonation: impersonation(
                &file,
                kubernetes.impersonation,
                "kubernetes.impersonation",
            ),
            clusters: clusters(&file, kubernetes.clusters),
            ..layer
        }
    }
}

/// `prefix.usernameClaim`, `prefix.userPrefix`, `prefix.groupPrefix`.
fn impersonation(file: &Origins, section: ImpersonationSection, prefix: &str) -> RawImpersonation {
    RawImpersonation {
        username_claim: file.scalar(section.username_claim, &format!("{prefix}.usernameClaim")),
        user_prefix: file.scalar(section.user_prefix, &format!("{prefix}.userPrefix")),
        group_prefix: file.scalar(section.group_prefix, &format!("{prefix}.groupPrefix")),
    }
}

/// `kubernetes.clusters`.
fn clusters(file: &Origins, sections: Vec<ClusterSection>) -> Vec<RawCluster> {
    sections
        .into_iter()
        .enumerate()
        .map(|(i, section)| {
            let prefix = format!("kubernetes.clusters[{i}]");
            let key = |name: &str| format!("{prefix}.{name}");
            RawCluster {
                at: file.at(&prefix),
                name: file.scalar(section.name, &key("name")),
                kubeconfig: file.scalar(section.kubeconfig, &key("kubeconfig")),
                context: file.scalar(section.context, &key("context")),
                all_contexts: file.scalar(section.all_contexts, &key("allContexts")),
                in_cluster: file.scalar(section.in_cluster, &key("inCluster")),
                identity: file.scalar(section.identity, &key("identity")),
                default: file.scalar(section.default, &key("default")),
                token_exchange: section.token_exchange.map(|x| {
                    let key = |name: &str| format!("{prefix}.tokenExchange.{name}");
                    RawTokenExchange {
                        at: file.at(&format!("{prefix}.tokenExchange")),
                        token_url: file.scalar(x.token_url, &key("tokenUrl")),
                        client_id: file.scalar(x.client_id, &key("clientId")),
                        client_secret_file: file
                            .scalar(x.client_secret_file, &key("clientSecretFile")),
                        audience: file.scalar(x.audience, &key("audience")),
                        scope: file.scalar(x.scope, &key("scope")),
                        ca_file: file.scalar(x.ca_file, &key("caFile")),
                    }
                }),
            }
        })
        .collect()
}

/// `oidc.issuers`.
fn issuers(file: &Origins, sections: Vec<IssuerSection>) -> Vec<RawIssuer> {
    sections
        .into_iter()
        .enumerate()
        .map(|(i, section)| {
            let prefix = format!("oidc.issuers[{i}]");
            let key = |name: &str| format!("{prefix}.{name}");
            RawIssuer {
                at: file.at(&prefix),
                issuer_url: file.scalar(section.issuer_url, &key("issuerUrl")),
                allow_http: file.scalar(section.allow_http, &key("allowHttp")),
                audience: file.list(section.audience, &key("audience")),
                required_scopes: file.list(section.required_scopes, &key("requiredScopes")),
                signing_method: file.list(section.signing_method, &key("signingMethod")),
                hs256_secret_file: file.scalar(section.hs256_secret_file, &key("hs256SecretFile")),
                username_claim: file.scalar(section.username_claim, &key("usernameClaim")),
                groups_claim: file.scalar(section.groups_claim, &key("groupsClaim")),
                impersonation: impersonation(file, section.impersonation, &key("impersonation")),
            }
        })
        .collect()
}

/// `tools.rules`.
fn rules(file: &Origins, sections: Vec<RuleSection>) -> Vec<RawToolRule> {
    sections
        .into_iter()
        .enumerate()
        .map(|(i, rule)| {
            let prefix = format!("tools.rules[{i}]");
            let key = |name: &str| format!("{prefix}.{name}");
            RawToolRule {
                at: file.at(&prefix),
                allow: file.list(rule.allow, &key("allow")),
                deny: file.list(rule.deny, &key("deny")),
                clusters: file.list(rule.clusters, &key("clusters")),
                scopes: file.list(rule.when.scopes, &key("when.scopes")),
                groups: file.list(rule.when.groups, &key("when.groups")),
                claims: rule
                    .when
                    .claims
                    .into_iter()
                    .map(|(claim, Scalar(value))| {
                        let origin = file.at(&key(&format!("when.claims.{claim}")));
                        (claim, Sourced::new(value, origin))
                    })
                    .collect(),
            }
        })
        .collect()
}

/// `plugins.grants`, `plugins.pins`, `plugins.limits`, `plugins.overrides`.
fn plugin_settings(file: &Origins, plugins: PluginsSection) -> RawPluginSettings {
    let grants = plugins
        .grants
        .into_iter()
        .map(|(name, capabilities)| {
            let raw = capabilities
                .into_iter()
                .enumerate()
                .map(|(i, c)| {
                    let prefix = format!("plugins.grants.{name}[{i}]");
                    RawCapability {
                        at: file.at(&prefix),
                        verbs: file.list(c.verbs, &format!("{prefix}.verbs")),
                        api_groups: c.api_groups.map(|l| {
                            Sourced::new(
                                l.into_vec_keeping_empty(),
                                file.at(&format!("{prefix}.apiGroups")),
                            )
                        }),
                        resources: file.list(c.resources, &format!("{prefix}.resources")),
                        namespaces: file.list(c.namespaces, &format!("{prefix}.namespaces")),
                        resource_names: file
                            .list(c.resource_names, &format!("{prefix}.resourceNames")),
                        label_selector: file
                            .scalar(c.label_selector, &format!("{prefix}.labelSelector")),
                        clusters: file.list(c.clusters, &format!("{prefix}.clusters")),
                    }
                })
                .collect();
            (name, raw)
        })
        .collect();
    let pins = plugins
        .pins
        .into_iter()
        .map(|(name, Scalar(pin))| {
            let origin = file.at(&format!("plugins.pins.{name}"));
            (name, Sourced::new(pin, origin))
        })
        .collect();
    let sources = plugins
        .sources
        .into_iter()
        .enumerate()
        .map(|(i, source)| {
            let prefix = format!("plugins.sources[{i}]");
            RawSource {
                at: file.at(&prefix),
                name: file.scalar(source.name, &format!("{prefix}.name")),
                reference: file.scalar(source.reference, &format!("{prefix}.ref")),
            }
        })
        .collect();
    let trust_keys = plugins
        .trust
        .unwrap_or_default()
        .keys
        .into_iter()
        .enumerate()
        .map(|(i, key)| {
            let prefix = format!("plugins.trust.keys[{i}]");
            RawTrustKey {
                at: file.at(&prefix),
                name: file.scalar(key.name, &format!("{prefix}.name")),
                public_key: file.scalar(key.public_key, &format!("{prefix}.publicKey")),
                public_key_file: file
                    .scalar(key.public_key_file, &format!("{prefix}.publicKeyFile")),
                plugins: file.list(key.plugins, &format!("{prefix}.plugins")),
                repositories: file.list(key.repositories, &format!("{prefix}.repositories")),
            }
        })
        .collect();
    let registry = plugins.registry.unwrap_or_default();
    RawPluginSettings {
        sources,
        trust_keys,
        require_signatures: file.scalar(plugins.require_signatures, "plugins.requireSignatures"),
        registry_auth_file: file.scalar(registry.auth_file, "plugins.registry.authFile"),
        registry_poll_interval: file
            .scalar(registry.poll_interval, "plugins.registry.pollInterval"),
        registry_store: file.scalar(registry.store, "plugins.registry.store"),
        grants,
        pins,
        limits: file.limits(plugins.limits, "plugins.limits"),
        overrides: plugins
            .overrides
            .into_iter()
            .map(|(name, section)| {
                let prefix = format!("plugins.overrides.{name}");
                let directory = section.directory.map(|d| RawDirectory {
                    at: file.at(&format!("{prefix}.directory")),
                    mode: file.scalar(d.mode, &format!("{prefix}.directory.mode")),
                    path: file.scalar(d.path, &format!("{prefix}.directory.path")),
                });
                let raw = RawOverride {
                    at: file.at(&prefix),
                    limits: file.limits(section.limits, &format!("{prefix}.limits")),
                    directory,
                    app_domains: file.list(
                        section.apps.and_then(|a| a.domains),
                        &format!("{prefix}.apps.domains"),
                    ),
                    settings: section
                        .settings
                        .into_iter()
                        .map(|(k, Scalar(v))| (k, v))
                        .collect(),
                };
                (name, raw)
            })
            .collect(),
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
