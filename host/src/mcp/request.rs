//! One MCP request as the handler serves it: its caller, what its client
//! supports, how its questions reach the client, and the deadline it runs
//! under.

use std::sync::Arc;

use rmcp::ErrorData;
use rmcp::service::{RequestContext, RoleServer};
use serde_json::Value;
use tokio::sync::mpsc;

use super::audit;
use super::caller::RequestCaller;
use super::peer::{Asking, DetachRequest, SessionClient, severity};
use super::round_trip::{Binding, RoundTrip};
use super::shared::Shared;
use crate::plugins::{CallContext, ClientSupport};
use crate::policy::tools::Export;

/// The `_meta` key with which a 2026-07-28 request asks for log messages.
const LOG_LEVEL_META: &str = "io.modelcontextprotocol/logLevel";

/// A request's round trip and what its state is bound to.
pub type BoundTrip = (Arc<RoundTrip>, Binding);

/// One request: the server's shared state, the request's context and its
/// caller.
pub struct InRequest<'a> {
    pub shared: &'a Shared,
    pub context: &'a RequestContext<RoleServer>,
    pub caller: RequestCaller,
    /// The severity the session asked log messages from
    /// (`logging/setLevel`), for clients older than 2026-07-28.
    pub session_log_severity: Option<usize>,
}

impl<'a> InRequest<'a> {
    pub fn new(
        shared: &'a Shared,
        context: &'a RequestContext<RoleServer>,
        session_log_severity: Option<usize>,
    ) -> InRequest<'a> {
        InRequest {
            shared,
            context,
            caller: RequestCaller::of(context),
            session_log_severity,
        }
    }

    /// The HTTP request's span and trace, when the request came over HTTP.
    pub fn trace(&self) -> Option<&crate::traces::RequestTrace> {
        self.context
            .extensions
            .get::<axum::http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<crate::traces::RequestTrace>())
    }

    /// Whether the caller may see and use `export` (on the default cluster,
    /// unless it names one); a refusal at use is audited (`what` names the
    /// request), and answers like a missing one.
    pub fn permits(&self, export: &Export, what: &str) -> bool {
        let clusters = self.shared.clusters();
        let export = match export.cluster {
            "" => export.on(clusters.default_name()),
            _ => *export,
        };
        let decision = self
            .shared
            .policy
            .decide_export(self.caller.verified(), &export);
        if !decision.allowed && !what.is_empty() {
            let trace_id = self.trace().and_then(|t| t.trace_id());
            let who = audit::Who {
                caller: self.caller.id(),
                trace_id: trace_id.as_deref(),
            };
            audit::export_denied(who, &export, &decision.reason, what);
        }
        decision.allowed
    }

    /// What the client declared it supports: in its request's `_meta`
    /// (2026-07-28), or else at `initialize`.
    pub fn support(&self) -> ClientSupport {
        self.context
            .client_capabilities()
            .map(|c| ClientSupport {
                elicitation: c.elicitation.is_some(),
                sampling: c.sampling.is_some(),
                roots: c.roots.is_some(),
            })
            .unwrap_or_default()
    }

    /// Whether the client declared MCP Apps (`io.modelcontextprotocol/ui`):
    /// only then are views, `_meta.ui` and app-only tools shown to it.
    pub fn shows_apps(&self) -> bool {
        self.context
            .client_capabilities()
            .is_some_and(|c| crate::apps::client_supports(&c))
    }

    /// A call context whose client is this request's peer; close the
    /// returned client when the call is over.
    pub fn call_context(
        &self,
        asking: Asking,
        detacher: Option<mpsc::UnboundedSender<DetachRequest>>,
    ) -> (CallContext, Arc<SessionClient>) {
        let progress_token = self.context.meta.get_progress_token();
        // 2026-07-28 clients opt in per request; older ones per session
        // (`logging/setLevel`).
        let min_log = self
            .context
            .meta
            .get(LOG_LEVEL_META)
            .and_then(|level| level.as_str())
            .and_then(severity)
            .or(self.session_log_severity);
        let mut client = SessionClient::new(
            self.context.peer.clone(),
            self.support(),
            asking,
            progress_token,
            min_log,
        );
        if let Some(detacher) = detacher {
            client = client.may_detach(detacher, self.shared.tasks.timeout);
        }
        let client = Arc::new(client);
        let call = CallContext::new(self.caller.principal()).with_client(client.clone());
        (call, client)
    }

    /// How the questions of a call of `method` on `name` reach the client.
    /// A 2026-07-28 request is stateless: its questions go back with the
    /// response, and its `requestState` and `inputResponses` answer the
    /// ones asked before (bound to the caller, the call and its arguments).
    pub fn asking(
        &self,
        call: (&str, &str, &Value),
        state: Option<&str>,
        responses: Option<rmcp::model::InputResponses>,
    ) -> Result<(Asking, Option<BoundTrip>), ErrorData> {
        let stateless = self
            .context
            .protocol_version()
            .is_some_and(|v| v.as_str() >= rmcp::model::ProtocolVersion::V_2026_07_28.as_str());
        if !stateless {
            return Ok((Asking::Live, None));
        }
        let (method, name, arguments) = call;
        let binding = Binding::new(self.caller.id(), method, name, arguments);
        let trip = Arc::new(RoundTrip::start(
            &self.shared.state_key,
            &binding,
            state,
            responses,
        )?);
        Ok((Asking::RoundTrip(trip.clone()), Some((trip, binding))))
    }

    /// The response to a call that stopped at questions for the client.
    pub fn input_required(
        &self,
        trip: Option<&BoundTrip>,
    ) -> Result<rmcp::model::InputRequiredResult, ErrorData> {
        let Some((trip, binding)) = trip else {
            return Err(ErrorData::internal_error(
                "a call waited for answers outside a round trip",
                None,
            ));
        };
        trip.input_required(&self.shared.state_key, binding)
    }

    /// Runs `work` under the request deadline, then flushes the call's
    /// notifications so they reach the client before the response.
    pub async fn run<T>(
        &self,
        asking: Asking,
        work: impl AsyncFnOnce(CallContext) -> Result<T, ErrorData>,
    ) -> Result<T, ErrorData> {
        let (call, client) = self.call_context(asking, None);
        let deadline = self.shared.request_timeout;
        let outcome = tokio::time::timeout(deadline, work(call)).await;
        if let Some(forwarder) = client.close() {
            let _ = forwarder.await;
        }
        outcome.unwrap_or_else(|_| Err(over_deadline(deadline)))
    }
}

/// The error of a request that ran past its deadline.
pub fn over_deadline(deadline: std::time::Duration) -> ErrorData {
    ErrorData::internal_error(
        format!(
            "the request took longer than {}",
            humantime::format_duration(deadline)
        ),
        None,
    )
}
