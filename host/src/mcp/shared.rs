//! What every session of one server shares.

use std::sync::Arc;
use std::time::Duration;

use super::round_trip::StateKey;
use super::sessions::Sessions;
use super::tasks::Tasks;
use crate::metrics::Metrics;
use crate::plugins::PluginHost;
use crate::policy::tools::ToolPolicy;

/// Shared by every session of one server.
#[derive(Clone)]
pub struct Shared {
    pub plugins: Arc<PluginHost>,
    pub sessions: Arc<Sessions>,
    pub request_timeout: Duration,
    pub metrics: Arc<Metrics>,
    /// Which tools each caller may see and call.
    pub policy: Arc<ToolPolicy>,
    /// Seals the state of multi-round-trip requests (MCP 2026-07-28).
    pub state_key: Arc<StateKey>,
    /// Tool calls that went on as tasks.
    pub tasks: Arc<Tasks>,
}

impl Shared {
    /// The clusters tool calls may be aimed at.
    pub fn clusters(&self) -> &Arc<crate::kube::ClusterSet> {
        self.plugins.runtime().clusters()
    }
}
