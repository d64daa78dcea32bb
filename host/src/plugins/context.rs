//! What a call carries from the request into the sandbox: who is calling,
//! and the client that made the call (for progress, logs and questions).

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::BoxFuture;
use crate::auth::Principal;
use crate::wit::client::{Answer, ClientError, SamplingRequest};
use crate::wit::log::Level;

/// What the calling client declared it supports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientSupport {
    pub elicitation: bool,
    pub sampling: bool,
    pub roots: bool,
}

/// One question a plugin asks the client, validated.
#[derive(Debug, Clone, PartialEq)]
pub enum Question {
    /// A form for the user: a message and a JSON Schema object.
    Elicit {
        message: String,
        schema: Map<String, Value>,
    },
    /// A message for the client's model to write.
    CreateMessage(SamplingRequest),
    /// The client's roots.
    ListRoots,
}

impl Question {
    /// Whether `support` lets the client be asked this.
    pub fn supported_by(&self, support: ClientSupport) -> bool {
        match self {
            Question::Elicit { .. } => support.elicitation,
            Question::CreateMessage(_) => support.sampling,
            Question::ListRoots => support.roots,
        }
    }
}

/// Why questions have no answers (yet).
#[derive(Debug)]
pub enum Unanswered {
    /// The client refused, failed, or cannot be asked.
    Client(ClientError),
    /// The questions go back to the client with this response, and the
    /// answers come with its retry (MCP 2026-07-28): the call stops here.
    Deferred,
}

impl From<ClientError> for Unanswered {
    fn from(error: ClientError) -> Unanswered {
        Unanswered::Client(error)
    }
}

/// The MCP client a call came from, as a plugin may use it.
///
/// The protocol layer implements this over its session with the client, a
/// stateless request, or a task; a call without a client (tests, the
/// `plugin` subcommands) uses [`NoClient`].
pub trait ClientPeer: Send + Sync {
    /// What the client declared it supports.
    fn support(&self) -> ClientSupport;

    /// Forwards a progress report of this call, if the client asked for
    /// progress. Must not block.
    fn progress(&self, progress: f64, total: Option<f64>, message: Option<String>);

    /// Forwards a log line of the plugin (`logger`) to the client, if the
    /// client asked for log messages at that level. Must not block.
    fn log(&self, _level: Level, _logger: &str, _message: &str) {}

    /// Asks the client `questions` (keyed, keys unique, each supported by
    /// the client); the answers come in the same order.
    fn ask(
        &self,
        questions: Vec<(String, Question)>,
    ) -> BoxFuture<'_, Result<Vec<Answer>, Unanswered>>;

    /// Lets the call go on as a task, if it may; `Some` is how long it may
    /// take from now.
    fn detach(&self) -> BoxFuture<'_, Option<std::time::Duration>> {
        Box::pin(async { None })
    }
}

/// No client to talk to: supports nothing, drops progress.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoClient;

impl ClientPeer for NoClient {
    fn support(&self) -> ClientSupport {
        ClientSupport::default()
    }

    fn progress(&self, _: f64, _: Option<f64>, _: Option<String>) {}

    fn ask(&self, _: Vec<(String, Question)>) -> BoxFuture<'_, Result<Vec<Answer>, Unanswered>> {
        Box::pin(async { Err(Unanswered::Client(ClientError::Unsupported)) })
    }
}

/// One call's context.
#[derive(Clone)]
pub struct CallContext {
    /// Who is calling, as the host authenticated them: their id keys the
    /// call's slots, plugins see [`Principal::for_plugins`], and Kubernetes
    /// sees [`Principal::impersonated`] when the server impersonates.
    pub caller: Arc<Principal>,
    /// The client that made the call.
    pub client: Arc<dyn ClientPeer>,
    /// The cluster the call's Kubernetes requests go to (its `context`);
    /// `None` is the default cluster.
    pub cluster: Option<Arc<str>>,
    /// The clusters the caller may aim this call at (what
    /// `kubernetes.contexts` lists); empty: only the default.
    pub clusters_allowed: Arc<[Arc<str>]>,
}

impl CallContext {
    /// A call by `caller` with no client to talk back to.
    pub fn new(caller: Arc<Principal>) -> CallContext {
        CallContext {
            caller,
            client: Arc::new(NoClient),
            cluster: None,
            clusters_allowed: Arc::new([]),
        }
    }

    /// A call by nobody in particular (describing a plugin at load).
    pub fn anonymous() -> CallContext {
        CallContext::new(Arc::new(Principal::anonymous()))
    }

    /// The same call, made by `client`.
    pub fn with_client(mut self, client: Arc<dyn ClientPeer>) -> CallContext {
        self.client = client;
        self
    }

    /// The same call, aimed at cluster `name` (`None`: the default), by a
    /// caller who may aim calls of this tool at `allowed`.
    pub fn on_cluster(mut self, name: Option<Arc<str>>, allowed: Arc<[Arc<str>]>) -> CallContext {
        self.cluster = name;
        self.clusters_allowed = allowed;
        self
    }
}

impl std::fmt::Debug for CallContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallContext")
            .field("caller", &self.caller.id)
            .field("cluster", &self.cluster)
            .finish_non_exhaustive()
    }
}
