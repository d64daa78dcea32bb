//! The settings of plugin calls: limits, lent directories, settings,
//! pins and Kubernetes grants, by plugin. `config` fills them in from the
//! operator's flags and files; this module owns what they mean.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::kube::grants::Capability;

/// Limits of one plugin call. Defaults are deliberately tight: a tool that
/// needs more gets it by name, in `plugins.overrides`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PluginLimits {
    /// Wall-clock time a call may run.
    pub timeout: Duration,
    /// Maximum size of the plugin's linear memory.
    pub memory_bytes: u64,
    /// Maximum size of a call's result (content and structured content).
    pub output_bytes: u64,
}

impl Default for PluginLimits {
    fn default() -> Self {
        PluginLimits {
            timeout: Duration::from_secs(10),
            memory_bytes: 64 << 20,
            output_bytes: 1 << 20,
        }
    }
}

/// The pooling allocator reserves this much address space per instance.
pub const MAX_MEMORY: u64 = 1 << 30;

/// A directory an operator lends one plugin, preopened at `/data`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirectoryGrant {
    /// An existing host directory, read-only.
    ReadOnly(PathBuf),
    /// A fresh empty directory for each call, writable, removed afterwards.
    Scratch,
}

/// What differs for one plugin.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PluginOverride {
    pub limits: Option<PluginLimits>,
    pub directory: Option<DirectoryGrant>,
    /// Origins the plugin's views may reach (`apps.domains`): what the host
    /// declares in their CSP, of what they ask for.
    pub app_domains: Vec<String>,
    /// What the plugin reads through the `config` import.
    pub settings: BTreeMap<String, String>,
}

/// Resolved `plugins.limits`, `plugins.overrides` and `plugins.grants`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PluginSettings {
    pub limits: PluginLimits,
    pub overrides: BTreeMap<String, PluginOverride>,
    /// Plugin name → the SHA-256 its file must have (`plugins.pins`).
    pub pins: BTreeMap<String, [u8; 32]>,
    /// Plugin name → Kubernetes capabilities granted. No entry, no access.
    pub grants: BTreeMap<String, Vec<Capability>>,
}

impl PluginSettings {
    /// The limits of `plugin`'s calls.
    pub fn limits_for(&self, plugin: &str) -> PluginLimits {
        self.overrides
            .get(plugin)
            .and_then(|o| o.limits)
            .unwrap_or(self.limits)
    }

    /// The settings `plugin` reads through the `config` import.
    pub fn settings_for(&self, plugin: &str) -> BTreeMap<String, String> {
        self.overrides
            .get(plugin)
            .map(|o| o.settings.clone())
            .unwrap_or_default()
    }

    /// The origins `plugin`'s views may reach (none when absent).
    pub fn app_domains_for(&self, plugin: &str) -> &[String] {
        self.overrides
            .get(plugin)
            .map_or(&[], |o| o.app_domains.as_slice())
    }

    /// The directory lent to `plugin`, if any.
    pub fn directory_for(&self, plugin: &str) -> Option<&DirectoryGrant> {
        self.overrides.get(plugin)?.directory.as_ref()
    }

    /// The Kubernetes capabilities granted to `plugin` (none when absent).
    pub fn grants_for(&self, plugin: &str) -> &[Capability] {
        self.grants.get(plugin).map_or(&[], Vec::as_slice)
    }
}
