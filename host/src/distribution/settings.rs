//! The distribution settings: plugins pulled by reference, the trust every
//! plugin must earn, and the registries' credentials. `config` fills them
//! in; this module owns what they mean.

use std::path::PathBuf;
use std::time::Duration;

use super::{PluginRef, RegistryCredentials, TrustPolicy};

/// How often a tag is checked for a new digest, unless configured.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(300);

/// One plugin pulled from a registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The name grants, limits and overrides bind to.
    pub name: String,
    pub reference: PluginRef,
}

/// Plugins from registries, and the trust every plugin must earn.
#[derive(Debug, Clone, Default)]
pub struct DistributionConfig {
    pub sources: Vec<Source>,
    pub trust: TrustPolicy,
    /// Folder plugins need a detached signature (or a pin) too.
    pub require_signatures: bool,
    pub credentials: RegistryCredentials,
    pub poll_interval: Duration,
    /// Where verified artifacts are kept; `None` is a directory next to the
    /// compiled-code cache.
    pub store: Option<PathBuf>,
}
