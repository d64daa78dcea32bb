//! The MCP server handler: plugins' tools, prompts, resources and
//! completions, served to one client (session) at a time.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as CURSOR;
use rmcp::ErrorData;
use rmcp::handler::server::ServerHandler;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CompleteRequestParams, CompleteResult,
    GetPromptRequestParams, GetPromptResponse, Implementation, InitializeResult, ListPromptsResult,
    ListResourceTemplatesResult, ListResourcesResult, ListToolsResult, PaginatedRequestParams,
    ReadResourceRequestParams, ReadResourceResponse, ServerCapabilities, SetLevelRequestParams,
    SubscribeRequestParams, UnsubscribeRequestParams,
};
use rmcp::model::{PromptReference, Reference, ResourceTemplateReference, SubscriptionFilter};
use rmcp::service::{NotificationContext, RequestContext, RoleServer, SubscriptionContext};

use super::convert;
use super::peer::{Asking, DetachRequest, SessionClient, severity};
use super::round_trip::{Binding, RoundTrip, StateKey};
use super::sessions::{Changes, Sessions};
use super::tasks::Tasks;
use crate::auth::Principal;
use crate::kube::Impersonated;
use crate::metrics::Metrics;
use crate::metrics::Outcome;
use crate::plugins::{CallContext, CallFailure, ClientSupport, Failure, Plugin, PluginHost};
use crate::policy::tools::{Export, ToolPolicy};
use crate::wit::tool_execution::TaskSupport;
use crate::wit::types::CallResult;
use crate::wit::types::{CallError, Caller, CompletionReference, PromptError, ResourceError};
use rmcp::model::{
    CancelTaskParams, CreateTaskResult, GetTaskParams, GetTaskResult, UpdateTaskParams,
};
use rmcp::task_manager::TaskExit;
use tokio::sync::{mpsc, oneshot};

/// The `_meta` key with which a 2026-07-28 request asks for log messages.
const LOG_LEVEL_META: &str = "io.modelcontextprotocol/logLevel";

/// A request's round trip and what its state is bound to.
type BoundTrip = (Arc<RoundTrip>, Binding);

/// Items per page of `tools/list`, `prompts/list` and `resources/list`.
pub const PAGE_SIZE: usize = 100;

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

/// One session's handler (in stateless mode, one request's).
#[derive(Clone)]
pub struct McpHandler {
    shared: Shared,
    /// The severity the client asked log messages from (`logging/setLevel`).
    log_severity: Arc<Mutex<Option<usize>>>,
    /// Resource URIs the client subscribed to.
    subscriptions: Arc<Mutex<HashSet<String>>>,
}

impl McpHandler {
    pub fn new(shared: Shared) -> McpHandler {
        McpHandler {
            shared,
            log_severity: Arc::default(),
            subscriptions: Arc::default(),
        }
    }

    /// The verified principal of a request, if it was authenticated.
    fn principal(context: &RequestContext<RoleServer>) -> Option<&Principal> {
        context
            .extensions
            .get::<axum::http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Principal>())
    }

    /// The caller of a request. Authentication attaches a principal to the
    /// HTTP request; without it (stdio, `--no-auth`) the caller is anonymous.
    fn caller(context: &RequestContext<RoleServer>) -> Caller {
        context
            .extensions
            .get::<axum::http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Caller>())
            .cloned()
            .unwrap_or_else(|| Caller {
                subject: String::new(),
                username: None,
                groups: Vec::new(),
                scopes: Vec::new(),
            })
    }

    /// Whether the caller may see and use `export`; a refusal at use is
    /// audited (`what` names the request), and answers like a missing one.
    fn permits(&self, context: &RequestContext<RoleServer>, export: &Export, what: &str) -> bool {
        let principal = Self::principal(context);
        let decision = self.shared.policy.decide_export(principal, export);
        if !decision.allowed && !what.is_empty() {
            tracing::info!(
                target: "kube_mcp::audit",
                subject = principal.map_or("", |p| p.subject.as_str()),
                export = export.name,
                plugin = export.plugin,
                decision = "deny",
                reason = %decision.reason,
                "{what}"
            );
        }
        decision.allowed
    }

    /// A call context whose client is this request's peer; close the
    /// returned client when the call is over.
    fn call_context(
        &self,
        context: &RequestContext<RoleServer>,
        asking: Asking,
        detacher: Option<mpsc::UnboundedSender<DetachRequest>>,
    ) -> (CallContext, Arc<SessionClient>) {
        let progress_token = context.meta.get_progress_token();
        // 2026-07-28 clients opt in per request; older ones per session
        // (`logging/setLevel`).
        let min_log = context
            .meta
            .get(LOG_LEVEL_META)
            .and_then(|level| level.as_str())
            .and_then(severity)
            .or(*self.log_severity.lock().expect("log level lock"));
        let mut client = SessionClient::new(
            context.peer.clone(),
            Self::support(context),
            asking,
            progress_token,
            min_log,
        );
        if let Some(detacher) = detacher {
            client = client.may_detach(detacher, self.shared.tasks.timeout);
        }
        let client = Arc::new(client);
        let impersonated = context
            .extensions
            .get::<axum::http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Impersonated>())
            .cloned();
        let call = CallContext::new(Self::caller(context))
            .impersonating(impersonated)
            .with_client(client.clone());
        (call, client)
    }

    /// Runs tool `name` under the request deadline, then flushes the
    /// call's notifications. With `task_owner`, the plugin may let the call
    /// go on as a task of that caller (`progress.detach`): the answer is
    /// then the task, and the call runs on in the background.
    async fn run_tool(
        &self,
        plugin: &Arc<Plugin>,
        name: &str,
        arguments: String,
        context: &RequestContext<RoleServer>,
        asking: Asking,
        task_owner: Option<&str>,
    ) -> Result<Ran, ErrorData> {
        let (detacher, mut detach_requests) = mpsc::unbounded_channel();
        let (call, client) = self.call_context(context, asking, task_owner.map(|_| detacher));
        let (done_tx, mut done) = oneshot::channel();
        let running = tokio::spawn({
            let (plugin, name) = (plugin.clone(), name.to_owned());
            async move {
                let _ = done_tx.send(plugin.call_tool(&name, &arguments, &call).await);
            }
        })
        .abort_handle();
        let deadline = self.shared.request_timeout;
        let until = tokio::time::Instant::now() + deadline;
        let ran = loop {
            tokio::select! {
                finished = &mut done => break finished.map(Ran::Done).map_err(|_| {
                    ErrorData::internal_error("the call ended without a result", None)
                }),
                () = tokio::time::sleep_until(until) => {
                    running.abort();
                    break Err(ErrorData::internal_error(
                        format!("the request took longer than {}", humantime::format_duration(deadline)),
                        None,
                    ));
                }
                Some(reply) = detach_requests.recv() => {
                    let owner = task_owner.unwrap_or_default();
                    if self.shared.tasks.room_for(owner).is_err() {
                        // Too many tasks: the call goes on as it was.
                        let _ = reply.send(false);
                        continue;
                    }
                    let task_client = client.clone();
                    // The epoch deadline stops a plugin that computes; this
                    // one also stops one that waits in the host (a sleep).
                    let timeout = self.shared.tasks.timeout;
                    let over_time = CallFailure {
                        plugin: plugin.name().to_owned(),
                        failure: Failure::Timeout(timeout),
                    };
                    let task = self.shared.tasks.start(owner, move |task| {
                        task_client.attach_task(task.clone());
                        Box::pin(async move {
                            tokio::select! {
                                finished = done => task_outcome(finished),
                                () = task.cancelled() => {
                                    running.abort();
                                    Err(TaskExit::Cancelled)
                                }
                                () = tokio::time::sleep(timeout) => {
                                    running.abort();
                                    Err(TaskExit::Error(failure_error(&over_time)))
                                }
                            }
                        })
                    });
                    let _ = reply.send(true);
                    break Ok(Ran::Task(task));
                }
            }
        };
        if let Some(forwarder) = client.close() {
            let _ = forwarder.await;
        }
        ran
    }

    /// Runs `work` under the request deadline, then flushes the call's
    /// notifications so they reach the client before the response.
    async fn run<T>(
        &self,
        context: &RequestContext<RoleServer>,
        asking: Asking,
        work: impl AsyncFnOnce(CallContext) -> Result<T, ErrorData>,
    ) -> Result<T, ErrorData> {
        let (call, client) = self.call_context(context, asking, None);
        let deadline = self.shared.request_timeout;
        let outcome = tokio::time::timeout(deadline, work(call)).await;
        if let Some(forwarder) = client.close() {
            let _ = forwarder.await;
        }
        outcome.unwrap_or_else(|_| {
            Err(ErrorData::internal_error(
                format!(
                    "the request took longer than {}",
                    humantime::format_duration(deadline)
                ),
                None,
            ))
        })
    }
}

impl McpHandler {
    /// What the client declared it supports: in its request's `_meta`
    /// (2026-07-28), or else at `initialize`.
    fn support(context: &RequestContext<RoleServer>) -> ClientSupport {
        context
            .client_capabilities()
            .map(|c| ClientSupport {
                elicitation: c.elicitation.is_some(),
                sampling: c.sampling.is_some(),
                roots: c.roots.is_some(),
            })
            .unwrap_or_default()
    }

    /// How the questions of a call of `method` on `name` reach the client.
    /// A 2026-07-28 request is stateless: its questions go back with the
    /// response, and its `requestState` and `inputResponses` answer the
    /// ones asked before (bound to the caller, the call and its arguments).
    fn asking(
        &self,
        context: &RequestContext<RoleServer>,
        call: (&str, &str, &serde_json::Value),
        state: Option<&str>,
        responses: Option<rmcp::model::InputResponses>,
    ) -> Result<(Asking, Option<BoundTrip>), ErrorData> {
        let stateless = context
            .protocol_version()
            .is_some_and(|v| v.as_str() >= rmcp::model::ProtocolVersion::V_2026_07_28.as_str());
        if !stateless {
            return Ok((Asking::Live, None));
        }
        let subject = Self::principal(context).map_or("", |p| p.subject.as_str());
        let (method, name, arguments) = call;
        let binding = Binding::new(subject, method, name, arguments);
        let trip = Arc::new(RoundTrip::start(
            &self.shared.state_key,
            &binding,
            state,
            responses,
        )?);
        Ok((Asking::RoundTrip(trip.clone()), Some((trip, binding))))
    }

    /// The response to a call that stopped at questions for the client.
    fn input_required(
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
}

/// A page of `items` after the cursor (an item's name, opaque to clients).
fn page<T>(
    mut items: Vec<(String, T)>,
    request: Option<PaginatedRequestParams>,
) -> Result<(Vec<T>, Option<String>), ErrorData> {
    items.sort_by(|a, b| a.0.cmp(&b.0));
    let start = match request.and_then(|r| r.cursor) {
        None => 0,
        Some(cursor) => {
            let after = CURSOR
                .decode(cursor.as_bytes())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| ErrorData::invalid_params("invalid cursor", None))?;
            items.partition_point(|(name, _)| *name <= after)
        }
    };
    let end = (start + PAGE_SIZE).min(items.len());
    let next = (end < items.len()).then(|| CURSOR.encode(items[end - 1].0.as_bytes()));
    let page = items.drain(start..end).map(|(_, item)| item).collect();
    Ok((page, next))
}

/// How a tool call ran: to its end (or its first failure), or on as a task.
enum Ran {
    Done(Result<Result<CallResult, CallError>, CallFailure>),
    Task(rmcp::model::Task),
}

/// The response to a finished call. Failures the model should see are tool
/// errors (MCP 2025-11-25): invalid arguments (so it can correct them), a
/// trap or a limit.
fn tool_result(
    name: &str,
    done: Result<Result<CallResult, CallError>, CallFailure>,
) -> Result<rmcp::model::CallToolResult, ErrorData> {
    match done {
        Ok(Ok(result)) => convert::call_result(result),
        Ok(Err(CallError::UnknownTool(_))) => Err(ErrorData::invalid_params(
            format!("unknown tool '{name}'"),
            None,
        )),
        Ok(Err(CallError::InvalidArguments(why))) => {
            Ok(convert::error_result(&format!("invalid arguments: {why}")))
        }
        Err(failure) => {
            tracing::warn!(tool = %name, "{failure}");
            Ok(failure_result(&failure))
        }
    }
}

/// How a call that went on as a task ended, as the task reports it: a
/// result (a tool error included) completes it; a failure of the plugin
/// (a trap, a limit) fails it with the reason.
fn task_outcome(
    finished: Result<Result<Result<CallResult, CallError>, CallFailure>, oneshot::error::RecvError>,
) -> Result<rmcp::model::CallToolResult, TaskExit> {
    match finished {
        Ok(Err(failure)) => Err(TaskExit::Error(failure_error(&failure))),
        Ok(done) => tool_result("", done).map_err(TaskExit::Error),
        Err(_) => Err(TaskExit::Error(ErrorData::internal_error(
            "the call ended without a result",
            None,
        ))),
    }
}

/// A plugin failure as a tool error the model sees.
fn failure_result(failure: &CallFailure) -> rmcp::model::CallToolResult {
    convert::error_result(&failure.to_string())
}

fn failure_error(failure: &CallFailure) -> ErrorData {
    ErrorData::internal_error(failure.to_string(), None)
}

impl ServerHandler for McpHandler {
    fn get_info(&self) -> InitializeResult {
        let capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_tool_list_changed()
            .enable_prompts()
            .enable_prompts_list_changed()
            .enable_resources()
            .enable_resources_list_changed()
            .enable_resources_subscribe()
            .enable_completions()
            .enable_logging()
            .enable_tasks()
            .build();
        InitializeResult::new(capabilities)
            .with_server_info(
                Implementation::new("kube-mcp", env!("CARGO_PKG_VERSION"))
                    .with_title("kube-mcp")
                    .with_website_url("https://github.com/kube-mcp/kube-mcp"),
            )
            .with_instructions(
                "Kubernetes tools. Each tool's description says what it reads or changes; \
                 tools that change the cluster are annotated as destructive.",
            )
    }

    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        self.shared
            .sessions
            .join(context.peer.clone(), self.subscriptions.clone());
    }

    async fn list_tools(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let registry = self.shared.plugins.registry();
        let principal = Self::principal(&context);
        let tools = registry
            .tools()
            .filter(|(p, t)| {
                self.shared
                    .policy
                    .decide_export(principal, &Export::tool(&t.name, p.name()))
                    .allowed
            })
            .map(|(_, t)| Ok((t.name.clone(), convert::tool(t)?)))
            .collect::<Result<Vec<_>, ErrorData>>()?;
        let (tools, next_cursor) = page(tools, request)?;
        let mut result = ListToolsResult::with_all_items(tools);
        result.next_cursor = next_cursor;
        Ok(result)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let registry = self.shared.plugins.registry();
        let name = request.name.to_string();
        let principal = Self::principal(&context);
        let subject = principal.map_or("", |p| p.subject.as_str()).to_owned();
        let found = registry.tool(&name);
        let decision = self.shared.policy.decide_export(
            principal,
            &Export::tool(&name, found.map_or("", |(p, _)| p.name())),
        );
        if !decision.allowed || found.is_none() {
            tracing::info!(
                target: "kube_mcp::audit",
                subject,
                tool = %name,
                plugin = found.map_or("", |(p, _)| p.name()),
                decision = "deny",
                reason = %found.map_or("no such tool".to_owned(), |_| decision.reason.to_string()),
                duration_ms = 0.0,
                "tool call"
            );
            // A tool the caller may not call looks like no tool at all.
            return Err(ErrorData::invalid_params(
                format!("unknown tool '{name}'"),
                None,
            ));
        }
        let (plugin, _) = found.expect("checked above");
        let plugin = plugin.clone();
        let execution = plugin.execution(&name);
        if let Some(missing) = convert::missing_capabilities(execution, Self::support(&context)) {
            return Err(ErrorData::missing_required_client_capability(missing));
        }
        let task_support = execution.map_or(TaskSupport::Forbidden, |e| e.task_support);
        let client_tasks = context
            .client_capabilities()
            .is_some_and(|c| c.supports_tasks());
        if task_support == TaskSupport::Required && !client_tasks {
            return Err(ErrorData::missing_required_client_capability(
                rmcp::model::ClientCapabilities::builder()
                    .enable_tasks()
                    .build(),
            ));
        }
        let arguments = serde_json::Value::Object(request.arguments.unwrap_or_default());
        let (asking, trip) = self.asking(
            &context,
            ("tools/call", &name, &arguments),
            request.request_state.as_deref(),
            request.input_responses,
        )?;
        let started = std::time::Instant::now();
        let may_detach = task_support != TaskSupport::Forbidden && client_tasks;
        let ran = self
            .run_tool(
                &plugin,
                &name,
                arguments.to_string(),
                &context,
                asking,
                may_detach.then_some(subject.as_str()),
            )
            .await;
        let outcome = match &ran {
            Ok(Ran::Task(_)) => Outcome::Task,
            Ok(Ran::Done(Ok(Ok(r)))) if !r.is_error => Outcome::Ok,
            Ok(Ran::Done(Ok(_))) => Outcome::ToolError,
            Ok(Ran::Done(Err(CallFailure {
                failure: Failure::InputRequired,
                ..
            }))) => Outcome::InputRequired,
            Ok(Ran::Done(Err(_))) => Outcome::Failed,
            Err(_) => Outcome::Deadline,
        };
        let result = ran.and_then(|ran| match ran {
            Ran::Task(task) => Ok(CallToolResponse::Task(CreateTaskResult::new(task))),
            Ran::Done(Err(CallFailure {
                failure: Failure::InputRequired,
                ..
            })) => Ok(CallToolResponse::InputRequired(
                self.input_required(trip.as_ref())?,
            )),
            Ran::Done(done) => tool_result(&name, done).map(CallToolResponse::Complete),
        });
        self.shared
            .metrics
            .tool_call(&name, plugin.name(), outcome, started);
        tracing::info!(
            target: "kube_mcp::audit",
            subject,
            tool = %name,
            plugin = plugin.name(),
            decision = "allow",
            reason = %decision.reason,
            outcome = %outcome,
            duration_ms = started.elapsed().as_secs_f64() * 1000.0,
            "tool call"
        );
        result
    }

    async fn list_prompts(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        let registry = self.shared.plugins.registry();
        let prompts = registry
            .prompts()
            .filter(|(p, x)| self.permits(&context, &Export::prompt(&x.name, p.name()), ""))
            .map(|(_, p)| Ok((p.name.clone(), convert::prompt(p)?)))
            .collect::<Result<Vec<_>, ErrorData>>()?;
        let (prompts, next_cursor) = page(prompts, request)?;
        let mut result = ListPromptsResult::with_all_items(prompts);
        result.next_cursor = next_cursor;
        Ok(result)
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let registry = self.shared.plugins.registry();
        let name = request.name.clone();
        let found = registry.prompt(&name).filter(|(p, _)| {
            self.permits(&context, &Export::prompt(&name, p.name()), "prompt get")
        });
        let Some((plugin, _)) = found else {
            return Err(ErrorData::invalid_params(
                format!("unknown prompt '{name}'"),
                None,
            ));
        };
        let plugin = plugin.clone();
        let raw_arguments = request.arguments.unwrap_or_default();
        let (asking, trip) = self.asking(
            &context,
            (
                "prompts/get",
                &name,
                &serde_json::Value::Object(raw_arguments.clone()),
            ),
            request.request_state.as_deref(),
            request.input_responses,
        )?;
        let arguments: Vec<(String, String)> = raw_arguments
            .into_iter()
            .map(|(k, v)| {
                let v = match v {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                (k, v)
            })
            .collect();
        self.run(&context, asking, async |call| {
            match plugin.get_prompt(&name, &arguments, &call).await {
                Ok(Ok(result)) => convert::prompt_result(&result).map(GetPromptResponse::Complete),
                Err(CallFailure {
                    failure: Failure::InputRequired,
                    ..
                }) => Ok(GetPromptResponse::InputRequired(
                    self.input_required(trip.as_ref())?,
                )),
                Ok(Err(PromptError::UnknownPrompt(_))) => Err(ErrorData::invalid_params(
                    format!("unknown prompt '{name}'"),
                    None,
                )),
                Ok(Err(PromptError::InvalidArguments(why))) => Err(ErrorData::invalid_params(
                    format!("invalid arguments: {why}"),
                    None,
                )),
                Err(failure) => Err(failure_error(&failure)),
            }
        })
        .await
    }

    async fn list_resources(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let registry = self.shared.plugins.registry();
        let resources = registry
            .resources()
            .filter(|(p, r)| self.permits(&context, &Export::resource(&r.uri, p.name()), ""))
            .map(|(_, r)| Ok((r.uri.clone(), convert::resource(r)?)))
            .collect::<Result<Vec<_>, ErrorData>>()?;
        let (resources, next_cursor) = page(resources, request)?;
        let mut result = ListResourcesResult::with_all_items(resources);
        result.next_cursor = next_cursor;
        Ok(result)
    }

    async fn list_resource_templates(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        let registry = self.shared.plugins.registry();
        let templates = registry
            .templates()
            .filter(|(p, t)| {
                self.permits(&context, &Export::resource(&t.uri_template, p.name()), "")
            })
            .map(|(_, t)| Ok((t.uri_template.clone(), convert::resource_template(t)?)))
            .collect::<Result<Vec<_>, ErrorData>>()?;
        let (templates, next_cursor) = page(templates, request)?;
        let mut result = ListResourceTemplatesResult::with_all_items(templates);
        result.next_cursor = next_cursor;
        Ok(result)
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let registry = self.shared.plugins.registry();
        let uri = request.uri.clone();
        let not_found = |uri: &str| {
            ErrorData::resource_not_found(
                format!("no resource '{uri}'"),
                Some(serde_json::json!({ "uri": uri })),
            )
        };
        let found = registry
            .resource_owner(&uri)
            .filter(|p| self.permits(&context, &Export::resource(&uri, p.name()), "resource read"));
        let Some(plugin) = found else {
            return Err(not_found(&uri));
        };
        let plugin = plugin.clone();
        let (asking, trip) = self.asking(
            &context,
            ("resources/read", &uri, &serde_json::Value::Null),
            request.request_state.as_deref(),
            request.input_responses,
        )?;
        self.run(&context, asking, async |call| {
            match plugin.read_resource(&uri, &call).await {
                Ok(Ok(contents)) => {
                    convert::read_result(&contents).map(ReadResourceResponse::Complete)
                }
                Err(CallFailure {
                    failure: Failure::InputRequired,
                    ..
                }) => Ok(ReadResourceResponse::InputRequired(
                    self.input_required(trip.as_ref())?,
                )),
                Ok(Err(ResourceError::NotFound(_))) => Err(not_found(&uri)),
                Ok(Err(ResourceError::Failed(why))) => Err(ErrorData::internal_error(
                    format!("cannot read '{uri}': {why}"),
                    None,
                )),
                Err(failure) => Err(failure_error(&failure)),
            }
        })
        .await
    }

    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let registry = self.shared.plugins.registry();
        let owner = registry.resource_owner(&request.uri).filter(|p| {
            self.permits(
                &context,
                &Export::resource(&request.uri, p.name()),
                "resource subscribe",
            )
        });
        if owner.is_none() {
            return Err(ErrorData::resource_not_found(
                format!("no resource '{}'", request.uri),
                None,
            ));
        }
        self.subscriptions
            .lock()
            .expect("subscriptions lock")
            .insert(request.uri);
        Ok(())
    }

    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.subscriptions
            .lock()
            .expect("subscriptions lock")
            .remove(&request.uri);
        Ok(())
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        let registry = self.shared.plugins.registry();
        let (reference, plugin) = match request.r#ref {
            Reference::Prompt(PromptReference { name, .. }) => {
                let plugin = registry.prompt(&name).map(|(p, _)| p.clone()).filter(|p| {
                    self.permits(&context, &Export::prompt(&name, p.name()), "completion")
                });
                (CompletionReference::Prompt(name), plugin)
            }
            Reference::Resource(ResourceTemplateReference { uri, .. }) => {
                let plugin = registry.template_owner(&uri).cloned().filter(|p| {
                    self.permits(&context, &Export::resource(&uri, p.name()), "completion")
                });
                (CompletionReference::ResourceTemplate(uri), plugin)
            }
            other => {
                return Err(ErrorData::invalid_params(
                    format!("unknown completion reference {other:?}"),
                    None,
                ));
            }
        };
        let Some(plugin) = plugin else {
            return Err(ErrorData::invalid_params(
                "no prompt or resource template of that name",
                None,
            ));
        };
        let arguments: Vec<(String, String)> = request
            .context
            .and_then(|c| c.arguments)
            .unwrap_or_default()
            .into_iter()
            .collect();
        let (argument, value) = (request.argument.name, request.argument.value);
        // Completions are quick lookups: their questions go unanswered
        // (2026-07-28 forbids asking on completion/complete).
        self.run(&context, Asking::Never, async |call| {
            match plugin
                .complete(&reference, &argument, &value, &arguments, &call)
                .await
            {
                Ok(completion) => convert::completion(&completion),
                Err(failure) => Err(failure_error(&failure)),
            }
        })
        .await
    }

    /// 2026-07-28 clients hear about changes on a `subscriptions/listen`
    /// stream instead of a session; every kind is offered.
    fn accepted_subscription_filter(
        &self,
        requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        Some(requested.clone())
    }

    async fn listen(&self, context: SubscriptionContext) -> Result<(), ErrorData> {
        let plugins = &self.shared.plugins;
        let mut generations = plugins.subscribe();
        let mut before = plugins.registry();
        loop {
            tokio::select! {
                () = context.cancelled() => return Ok(()),
                changed = generations.changed() => {
                    if changed.is_err() {
                        return Ok(());
                    }
                }
            }
            let after = plugins.registry();
            let changes = Changes::between(&before, &after);
            let sink = context.sink();
            let accepted = context.accepted();
            // Only kinds the client asked for: the sink refuses the rest.
            let wants = |kind: Option<bool>| kind == Some(true);
            let sent = async {
                if changes.tools && wants(accepted.tools_list_changed) {
                    sink.notify_tool_list_changed().await?;
                }
                if changes.prompts && wants(accepted.prompts_list_changed) {
                    sink.notify_prompt_list_changed().await?;
                }
                if changes.resources && wants(accepted.resources_list_changed) {
                    sink.notify_resource_list_changed().await?;
                }
                for uri in accepted.resource_subscriptions.iter().flatten() {
                    if changes.resource_changed(&before, &after, uri) {
                        sink.notify_resource_updated(uri.clone()).await?;
                    }
                }
                Ok::<_, rmcp::service::SubscriptionSendError>(())
            }
            .await;
            if let Err(e) = sent {
                tracing::debug!("subscription stream ended: {e}");
                return Ok(());
            }
            before = after;
        }
    }

    /// The tool rmcp checks `Mcp-Param-*` headers against (SEP-2243).
    fn get_tool(&self, name: &str) -> Option<rmcp::model::Tool> {
        let registry = self.shared.plugins.registry();
        let (_, tool) = registry.tool(name)?;
        convert::tool(tool).ok()
    }

    async fn get_task(
        &self,
        request: GetTaskParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetTaskResult, ErrorData> {
        let subject = Self::principal(&context).map_or("", |p| p.subject.as_str());
        let task = self.shared.tasks.get(subject, &request.task_id)?;
        Ok(GetTaskResult::new(task))
    }

    async fn update_task(
        &self,
        request: UpdateTaskParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let subject = Self::principal(&context).map_or("", |p| p.subject.as_str());
        self.shared
            .tasks
            .update(subject, &request.task_id, request.input_responses)
    }

    async fn cancel_task(
        &self,
        request: CancelTaskParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let subject = Self::principal(&context).map_or("", |p| p.subject.as_str());
        self.shared.tasks.cancel(subject, &request.task_id)
    }

    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let level = rank(request.level);
        *self.log_severity.lock().expect("log level lock") = Some(level);
        Ok(())
    }
}

/// The RFC 5424 rank of an MCP log level, least severe first (the order of
/// [`super::peer::LOG_LEVELS`]). rmcp marks the type deprecated along with
/// `logging/setLevel`, which 2025 clients still send.
#[allow(deprecated)]
fn rank(level: rmcp::model::LoggingLevel) -> usize {
    use rmcp::model::LoggingLevel as L;
    match level {
        L::Debug => 0,
        L::Info => 1,
        L::Notice => 2,
        L::Warning => 3,
        L::Error => 4,
        L::Critical => 5,
        L::Alert => 6,
        L::Emergency => 7,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(deprecated)]
    fn log_levels_rank_as_their_names_do() {
        use rmcp::model::LoggingLevel as L;
        for level in [
            L::Debug,
            L::Info,
            L::Notice,
            L::Warning,
            L::Error,
            L::Critical,
            L::Alert,
            L::Emergency,
        ] {
            let name = serde_json::to_value(level).unwrap();
            assert_eq!(
                Some(rank(level)),
                severity(name.as_str().unwrap()),
                "{name}"
            );
        }
    }

    fn request(cursor: Option<String>) -> Option<PaginatedRequestParams> {
        serde_json::from_value(serde_json::json!({ "cursor": cursor })).ok()
    }

    #[test]
    fn pages_follow_name_order_and_survive_changes_between_them() {
        let items: Vec<(String, usize)> = (0..250).map(|i| (format!("tool{i:03}"), i)).collect();
        let (first, next) = page(items.clone(), None).unwrap();
        assert_eq!(first.len(), PAGE_SIZE);
        assert_eq!(first[0], 0);
        let (second, next) = page(items.clone(), request(next)).unwrap();
        assert_eq!(second[0], 100);
        // A tool added before the cursor does not shift the next page.
        let mut grown = items.clone();
        grown.push(("tool000a".into(), 999));
        let (third, next) = page(grown, request(next)).unwrap();
        assert_eq!((third.len(), third[0], next), (50, 200, None));
        let error = page(items, request(Some("!!not base64".into()))).unwrap_err();
        assert_eq!(error.message, "invalid cursor");
    }
}
