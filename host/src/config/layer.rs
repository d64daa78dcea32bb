//! The structured settings of the file, as written (each value with its
//! origin): issuers, tool rules, per-plugin limits, grants and pins. The
//! scalar settings are declared in [`super::settings`].

use super::{Origin, Sourced};

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
    /// `apps.domains`: origins the plugin's views may reach.
    pub app_domains: Option<Sourced<Vec<String>>>,
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

/// One `kubernetes.clusters[]` entry as written.
#[derive(Debug)]
pub struct RawCluster {
    pub at: Origin,
    pub name: Option<Sourced<String>>,
    pub kubeconfig: Option<Sourced<String>>,
    pub context: Option<Sourced<String>>,
    pub all_contexts: Option<Sourced<String>>,
    pub in_cluster: Option<Sourced<String>>,
    pub identity: Option<Sourced<String>>,
    pub default: Option<Sourced<String>>,
    pub token_exchange: Option<RawTokenExchange>,
}

/// `kubernetes.clusters[].tokenExchange` as written.
#[derive(Debug)]
pub struct RawTokenExchange {
    pub at: Origin,
    pub token_url: Option<Sourced<String>>,
    pub client_id: Option<Sourced<String>>,
    pub client_secret_file: Option<Sourced<String>>,
    pub audience: Option<Sourced<String>>,
    pub scope: Option<Sourced<String>>,
    pub ca_file: Option<Sourced<String>>,
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
    /// The clusters the rule speaks of (none: every cluster).
    pub clusters: Option<Sourced<Vec<String>>>,
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
    pub resource_names: Option<Sourced<Vec<String>>>,
    pub label_selector: Option<Sourced<String>>,
    pub clusters: Option<Sourced<Vec<String>>>,
}

/// One `plugins.sources[]` entry as written.
#[derive(Debug)]
pub struct RawSource {
    pub at: Origin,
    pub name: Option<Sourced<String>>,
    pub reference: Option<Sourced<String>>,
}

/// One `plugins.trust.keys[]` entry as written.
#[derive(Debug)]
pub struct RawTrustKey {
    pub at: Origin,
    pub name: Option<Sourced<String>>,
    pub public_key: Option<Sourced<String>>,
    pub public_key_file: Option<Sourced<String>>,
    pub plugins: Option<Sourced<Vec<String>>>,
    pub repositories: Option<Sourced<Vec<String>>>,
}

/// The `plugins` settings beyond the directory, as written in the file.
#[derive(Debug, Default)]
pub struct RawPluginSettings {
    pub sources: Vec<RawSource>,
    pub trust_keys: Vec<RawTrustKey>,
    pub require_signatures: Option<Sourced<String>>,
    pub registry_auth_file: Option<Sourced<String>>,
    pub registry_poll_interval: Option<Sourced<String>>,
    pub registry_store: Option<Sourced<String>>,
    pub grants: std::collections::BTreeMap<String, Vec<RawCapability>>,
    /// Plugin name → the digest its file must have.
    pub pins: std::collections::BTreeMap<String, Sourced<String>>,
    pub limits: RawLimits,
    pub overrides: std::collections::BTreeMap<String, RawOverride>,
}
