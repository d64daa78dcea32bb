//! Host bindings of the `kube-mcp:plugin` WIT package, and the host side of
//! the small interfaces plugins import.
//!
//! The generated types live here; each imported interface's `Host` impl is a
//! thin adapter over plain Rust: `log` and `progress` below, `client` over
//! the call's [`ClientPeer`](super::context::ClientPeer), `kubernetes` in
//! [`super::kubernetes`].

use super::call::CallState;

wasmtime::component::bindgen!({
    path: "../wit",
    // The richer world: its imports are those of `tool-plugin`, and the
    // host looks its exports up one interface at a time, so a component of
    // either world loads.
    world: "plugin",
    imports: {
        // Both wait on the network (the cluster, the client).
        "kube-mcp:plugin/kubernetes": async,
        "kube-mcp:plugin/client": async,
    },
    exports: { default: async },
    additional_derives: [PartialEq],
});

pub use self::exports::kube_mcp::plugin::{
    completion_provider, prompt_provider, resource_provider, tool_provider,
};
pub use self::kube_mcp::plugin::{client, kubernetes, log, types};

use self::client::{
    ClientCapabilities, ClientError, Elicitation, SamplingRequest, SamplingResponse,
};
use self::kube_mcp::plugin::progress;
use self::log::Level;

impl types::Host for CallState {}

/// `log`: a plugin's lines go to the server's log, tagged with the plugin,
/// and to the calling client when it asked for log messages.
impl log::Host for CallState {
    /// Rate-limited with the plugin's stdout and stderr (one budget), the
    /// excess counted and dropped; long lines are cut.
    fn write(&mut self, level: Level, message: String) {
        let Some(dropped) = self.log_budget.take() else {
            return;
        };
        let plugin = &*self.plugin;
        super::guest_log::report(plugin, dropped);
        let (message, truncated) = super::guest_log::cut(&message);
        let message = if truncated {
            format!("{message} (cut)")
        } else {
            message.to_owned()
        };
        self.context.client.log(level, plugin, &message);
        match level {
            Level::Trace => tracing::trace!(target: "kube_mcp::plugin", plugin, "{message}"),
            Level::Debug => tracing::debug!(target: "kube_mcp::plugin", plugin, "{message}"),
            Level::Info => tracing::info!(target: "kube_mcp::plugin", plugin, "{message}"),
            Level::Warn => tracing::warn!(target: "kube_mcp::plugin", plugin, "{message}"),
            Level::Error => tracing::error!(target: "kube_mcp::plugin", plugin, "{message}"),
        }
    }
}

/// `config`: the operator's settings for this plugin.
impl self::kube_mcp::plugin::config::Host for CallState {
    fn get(&mut self, key: String) -> Option<String> {
        self.settings.get(&key).cloned()
    }
}

/// `progress`: reports go to the client that made the call.
impl progress::Host for CallState {
    fn report(&mut self, progress: f64, total: Option<f64>, message: Option<String>) {
        if progress.is_finite() && total.is_none_or(f64::is_finite) {
            self.context.client.progress(progress, total, message);
        }
    }
}

/// `client`: requests to the calling client, bounded by the call's deadline
/// (the epoch deadline cannot interrupt the host while it waits).
impl client::Host for CallState {
    async fn capabilities(&mut self) -> ClientCapabilities {
        self.context.client.capabilities()
    }

    async fn elicit(
        &mut self,
        message: String,
        requested_schema: String,
    ) -> Result<Elicitation, ClientError> {
        let schema = match serde_json::from_str(&requested_schema) {
            Ok(serde_json::Value::Object(schema)) => schema,
            Ok(_) => {
                return Err(ClientError::Failed(
                    "requested-schema must be a JSON object".into(),
                ));
            }
            Err(e) => {
                return Err(ClientError::Failed(format!(
                    "requested-schema is not valid JSON: {e}"
                )));
            }
        };
        if !self.context.client.capabilities().elicitation {
            return Err(ClientError::Unsupported);
        }
        let client = self.context.client.clone();
        before_deadline(self.deadline, client.elicit(message, schema)).await
    }

    async fn create_message(
        &mut self,
        request: SamplingRequest,
    ) -> Result<SamplingResponse, ClientError> {
        if !self.context.client.capabilities().sampling {
            return Err(ClientError::Unsupported);
        }
        let client = self.context.client.clone();
        before_deadline(self.deadline, client.create_message(request)).await
    }
}

async fn before_deadline<T>(
    deadline: std::time::Instant,
    request: impl Future<Output = Result<T, ClientError>>,
) -> Result<T, ClientError> {
    tokio::time::timeout_at(deadline.into(), request)
        .await
        .unwrap_or_else(|_| {
            Err(ClientError::Failed(
                "the call's deadline passed while waiting for the client".into(),
            ))
        })
}
