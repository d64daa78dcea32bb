//! The host side of the small interfaces plugins import: `log`, `config`,
//! `progress` and `client`, thin adapters over the call's state and its
//! [`ClientPeer`](super::context::ClientPeer). (`kubernetes` is in
//! [`crate::kube`].)

use super::call::CallState;
use crate::wit::{client, config, log, progress, types};

use crate::wit::client::{
    ClientCapabilities, ClientError, Elicitation, SamplingRequest, SamplingResponse,
};
use crate::wit::log::Level;

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
impl config::Host for CallState {
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
