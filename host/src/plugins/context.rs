//! What a call carries from the request into the sandbox: who is calling,
//! and the client that made the call (for progress, elicitation, sampling).

use std::sync::Arc;

use crate::BoxFuture;
use crate::kube::Impersonated;
use crate::wit::client::{
    ClientCapabilities, ClientError, Elicitation, SamplingRequest, SamplingResponse,
};
use crate::wit::log::Level;
use crate::wit::types::Caller;

/// The MCP client a call came from, as a plugin may use it.
///
/// The protocol layer implements this over its session with the client; a
/// call without a client (tests, the `plugin` subcommands) uses [`NoClient`].
pub trait ClientPeer: Send + Sync {
    /// What the client declared it supports.
    fn capabilities(&self) -> ClientCapabilities;

    /// Forwards a progress report of this call, if the client asked for
    /// progress. Must not block.
    fn progress(&self, progress: f64, total: Option<f64>, message: Option<String>);

    /// Forwards a log line of the plugin (`logger`) to the client, if the
    /// client asked for log messages at that level. Must not block.
    fn log(&self, _level: Level, _logger: &str, _message: &str) {}

    /// Asks the user to fill in a form; `schema` is a JSON Schema object.
    fn elicit(
        &self,
        message: String,
        schema: serde_json::Map<String, serde_json::Value>,
    ) -> BoxFuture<'_, Result<Elicitation, ClientError>>;

    /// Asks the client's model to write a message.
    fn create_message(
        &self,
        request: SamplingRequest,
    ) -> BoxFuture<'_, Result<SamplingResponse, ClientError>>;
}

/// No client to talk to: supports nothing, drops progress.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoClient;

impl ClientPeer for NoClient {
    fn capabilities(&self) -> ClientCapabilities {
        ClientCapabilities {
            elicitation: false,
            sampling: false,
        }
    }

    fn progress(&self, _: f64, _: Option<f64>, _: Option<String>) {}

    fn elicit(
        &self,
        _: String,
        _: serde_json::Map<String, serde_json::Value>,
    ) -> BoxFuture<'_, Result<Elicitation, ClientError>> {
        Box::pin(async { Err(ClientError::Unsupported) })
    }

    fn create_message(
        &self,
        _: SamplingRequest,
    ) -> BoxFuture<'_, Result<SamplingResponse, ClientError>> {
        Box::pin(async { Err(ClientError::Unsupported) })
    }
}

/// One call's context.
#[derive(Clone)]
pub struct CallContext {
    /// Who is calling, as the host authenticated them.
    pub caller: Caller,
    /// Who the caller is in Kubernetes, when the server impersonates.
    pub impersonated: Option<Impersonated>,
    /// The client that made the call.
    pub client: Arc<dyn ClientPeer>,
}

impl CallContext {
    /// A call by `caller` with no client to talk back to.
    pub fn new(caller: Caller) -> CallContext {
        CallContext {
            caller,
            impersonated: None,
            client: Arc::new(NoClient),
        }
    }

    /// The same call, acting as `impersonated` in Kubernetes.
    pub fn impersonating(mut self, impersonated: Option<Impersonated>) -> CallContext {
        self.impersonated = impersonated;
        self
    }

    /// The same call, made by `client`.
    pub fn with_client(mut self, client: Arc<dyn ClientPeer>) -> CallContext {
        self.client = client;
        self
    }
}

impl std::fmt::Debug for CallContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallContext")
            .field("caller", &self.caller)
            .finish_non_exhaustive()
    }
}
