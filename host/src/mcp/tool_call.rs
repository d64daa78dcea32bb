//! `tools/call`: policy, the client's capabilities, the call in its plugin
//! under the request deadline (or on as a task), its metrics and its audit
//! line.

use std::sync::Arc;
use std::time::Instant;

use rmcp::ErrorData;
use rmcp::model::{CallToolRequestParams, CallToolResponse, CallToolResult, CreateTaskResult};
use rmcp::task_manager::TaskExit;
use tokio::sync::{mpsc, oneshot};

use super::audit;
use super::peer::Asking;
use super::request::{InRequest, over_deadline};
use super::{contexts, convert};
use crate::auth::CallerId;
use crate::metrics::Outcome;
use crate::plugins::{CallFailure, Failure, Plugin};
use crate::policy::tools::Export;
use crate::wit::tool_execution::TaskSupport;
use crate::wit::types::{CallError, CallResult};

/// What a plugin call came to: a result or a tool error, or its failure.
type Finished = Result<Result<CallResult, CallError>, CallFailure>;

/// How a tool call ran: to its end (or its first failure), or on as a task.
enum Ran {
    Done(Finished),
    Task(rmcp::model::Task),
}

/// Serves `tools/call`. A tool the caller may not call looks like no tool
/// at all.
pub async fn call_tool(
    request: &InRequest<'_>,
    params: CallToolRequestParams,
) -> Result<CallToolResponse, ErrorData> {
    let registry = request.shared.plugins.registry();
    let name = params.name.to_string();
    let trace = request.trace();
    let trace_id = trace.and_then(|t| t.trace_id());
    let caller = audit::Who {
        caller: request.caller.id(),
        trace_id: trace_id.as_deref(),
    };
    let call_span = tracing::info_span!(
        target: crate::traces::TARGET,
        parent: trace.and_then(|t| t.span.id()),
        "tools/call",
        // OpenTelemetry's MCP conventions: "{method} {target}".
        otel.name = %format!("tools/call {name}"),
        mcp.method.name = "tools/call",
        gen_ai.tool.name = %name,
        mcp.plugin = tracing::field::Empty,
        cluster = tracing::field::Empty,
        outcome = tracing::field::Empty,
    );
    let found = registry.tool(&name);
    let plugin_name = found.map_or("", |(p, _)| p.name());
    // An app-only tool (MCP Apps) does not exist for a client that did not
    // declare the extension: refused as unknown, and audited as such.
    // (Checked in this order: reading the client's capabilities is the
    // dearer half, and most tools are the model's.)
    if found.is_some_and(|(p, _)| !p.views.model_visible(&name)) && !request.shows_apps() {
        audit::tool_call_denied(
            caller,
            &name,
            plugin_name,
            request.shared.clusters().default_name(),
            &"an app-only tool, and the client did not declare io.modelcontextprotocol/ui",
        );
        return Err(ErrorData::invalid_params(
            format!("unknown tool '{name}'"),
            None,
        ));
    }
    let export = Export::tool(&name, plugin_name);
    let clusters = request.shared.clusters();
    let default = clusters.default_name();
    let mut arguments = params.arguments.unwrap_or_default();
    // A retry's request state is bound to the call as the client made it,
    // `context` included: answers given for one cluster never serve another.
    let as_called = serde_json::Value::Object(arguments.clone());
    // With several clusters the host adds and takes `context`, unless the
    // plugin declares its own.
    let host_context =
        clusters.several() && found.is_some_and(|(_, t)| !contexts::declares_context(t));
    let allowed: Arc<[Arc<str>]> = if host_context {
        contexts::allowed_clusters(request, &export).into()
    } else {
        Arc::new([Arc::from(default)])
    };
    let target = if host_context && !allowed.is_empty() {
        match contexts::take_context(&mut arguments, &allowed) {
            Ok(target) => target,
            Err(why) => {
                let asked = arguments_context(&why);
                audit::tool_call_denied(
                    caller,
                    &name,
                    plugin_name,
                    asked.as_deref().unwrap_or(default),
                    &why,
                );
                return Ok(CallToolResponse::Complete(convert::error_result(&format!(
                    "invalid arguments: {why}"
                ))));
            }
        }
    } else {
        None
    };
    let on = target.as_deref().unwrap_or(default);
    call_span.record("mcp.plugin", plugin_name);
    call_span.record("cluster", on);
    let decision = {
        let policy = tracing::info_span!(
            target: crate::traces::TARGET,
            parent: &call_span,
            "policy",
            decision = tracing::field::Empty,
        );
        let _in = policy.enter();
        let decision = request
            .shared
            .policy
            .decide_export(request.caller.verified(), &export.on(on));
        policy.record("decision", if decision.allowed { "allow" } else { "deny" });
        decision
    };
    if found.is_some() && !decision.allowed && host_context && !allowed.is_empty() {
        // Visible on other clusters, just not the default one.
        audit::tool_call_denied(caller, &name, plugin_name, on, &decision.reason);
        return Ok(CallToolResponse::Complete(convert::error_result(&format!(
            "invalid arguments: the default cluster '{default}' is not one you may use with \
             {name}; give context, one of {}",
            allowed
                .iter()
                .map(|n| format!("'{n}'"))
                .collect::<Vec<_>>()
                .join(", ")
        ))));
    }
    let Some((plugin, _)) = found.filter(|_| decision.allowed) else {
        match found {
            None => audit::tool_call_denied(caller, &name, plugin_name, on, &"no such tool"),
            Some(_) => audit::tool_call_denied(caller, &name, plugin_name, on, &decision.reason),
        }
        return Err(ErrorData::invalid_params(
            format!("unknown tool '{name}'"),
            None,
        ));
    };
    let plugin = plugin.clone();
    let may_detach = may_run_as_task(request, &plugin, &name)?;
    let arguments = serde_json::Value::Object(arguments);
    let (asking, trip) = request.asking(
        ("tools/call", &name, &as_called),
        params.request_state.as_deref(),
        params.input_responses,
    )?;
    let started = Instant::now();
    let task_owner = may_detach.then_some(caller.caller);
    let ran = run_tool(
        request,
        &plugin,
        (&name, arguments.to_string()),
        (target.clone(), allowed.clone()),
        asking,
        task_owner,
        &call_span,
    )
    .await;
    let outcome = outcome(&ran);
    call_span.record("outcome", tracing::field::display(outcome));
    let response = ran.and_then(|ran| match ran {
        Ran::Task(task) => Ok(CallToolResponse::Task(CreateTaskResult::new(task))),
        Ran::Done(Err(CallFailure {
            failure: Failure::InputRequired,
            ..
        })) => Ok(CallToolResponse::InputRequired(
            request.input_required(trip.as_ref())?,
        )),
        Ran::Done(done) => tool_result(&name, done).map(CallToolResponse::Complete),
    });
    request
        .shared
        .metrics
        .tool_call(&name, plugin.name(), outcome, started);
    audit::tool_call_ended(
        caller,
        &name,
        plugin.name(),
        on,
        &decision.reason,
        outcome,
        started,
    );
    response
}

/// The cluster a refused `context` named, for the audit line.
fn arguments_context(why: &str) -> Option<String> {
    let rest = why.strip_prefix("context '")?;
    Some(rest[..rest.find('\'')?].to_owned())
}

/// Whether the call may go on as a task: the tool allows it and the client
/// opted in. A tool that needs what the client lacks is refused here.
fn may_run_as_task(request: &InRequest, plugin: &Plugin, name: &str) -> Result<bool, ErrorData> {
    let execution = plugin.execution(name);
    if let Some(missing) = convert::missing_capabilities(execution, request.support()) {
        return Err(ErrorData::missing_required_client_capability(missing));
    }
    let task_support = execution.map_or(TaskSupport::Forbidden, |e| e.task_support);
    let client_tasks = request
        .context
        .client_capabilities()
        .is_some_and(|c| c.supports_tasks());
    if task_support == TaskSupport::Required && !client_tasks {
        return Err(ErrorData::missing_required_client_capability(
            rmcp::model::ClientCapabilities::builder()
                .enable_tasks()
                .build(),
        ));
    }
    Ok(task_support != TaskSupport::Forbidden && client_tasks)
}

/// The audit and metrics outcome of a call.
fn outcome(ran: &Result<Ran, ErrorData>) -> Outcome {
    match ran {
        Ok(Ran::Task(_)) => Outcome::Task,
        Ok(Ran::Done(Ok(Ok(r)))) if !r.is_error => Outcome::Ok,
        Ok(Ran::Done(Ok(_))) => Outcome::ToolError,
        Ok(Ran::Done(Err(CallFailure {
            failure: Failure::InputRequired,
            ..
        }))) => Outcome::InputRequired,
        Ok(Ran::Done(Err(_))) => Outcome::Failed,
        Err(_) => Outcome::Deadline,
    }
}

/// Runs tool `name` under the request deadline, then flushes the call's
/// notifications. With `task_owner`, the plugin may let the call go on as
/// a task of that caller (`progress.detach`): the answer is then the task,
/// and the call runs on in the background.
async fn run_tool(
    request: &InRequest<'_>,
    plugin: &Arc<Plugin>,
    (name, arguments): (&str, String),
    (cluster, allowed): (Option<Arc<str>>, Arc<[Arc<str>]>),
    asking: Asking,
    task_owner: Option<&CallerId>,
    span: &tracing::Span,
) -> Result<Ran, ErrorData> {
    let (detacher, mut detach_requests) = mpsc::unbounded_channel();
    let (call, client) = request.call_context(asking, task_owner.map(|_| detacher));
    let call = call.on_cluster(cluster, allowed);
    let (done_tx, mut done) = oneshot::channel();
    // Host imports run inside the call's polls: the Kubernetes requests
    // and questions of the call are this span's children.
    let plugin_span = tracing::info_span!(
        target: crate::traces::TARGET,
        parent: span,
        "plugin.call",
        mcp.plugin = plugin.name(),
        gen_ai.tool.name = name,
    );
    let running = tokio::spawn({
        let (plugin, name) = (plugin.clone(), name.to_owned());
        tracing::Instrument::instrument(
            async move {
                let _ = done_tx.send(plugin.call_tool(&name, &arguments, &call).await);
            },
            plugin_span,
        )
    })
    .abort_handle();
    let deadline = request.shared.request_timeout;
    let until = tokio::time::Instant::now() + deadline;
    let tasks = &request.shared.tasks;
    let ran = loop {
        tokio::select! {
            finished = &mut done => break finished.map(Ran::Done).map_err(|_| {
                ErrorData::internal_error("the call ended without a result", None)
            }),
            () = tokio::time::sleep_until(until) => {
                running.abort();
                break Err(over_deadline(deadline));
            }
            Some(reply) = detach_requests.recv() => {
                let Some(owner) = task_owner.filter(|owner| tasks.room_for(owner).is_ok()) else {
                    // Too many tasks: the call goes on as it was.
                    let _ = reply.send(false);
                    continue;
                };
                let task_client = client.clone();
                // The epoch deadline stops a plugin that computes; this
                // one also stops one that waits in the host (a sleep).
                let timeout = tasks.timeout;
                let over_time = CallFailure {
                    plugin: plugin.name().to_owned(),
                    failure: Failure::Timeout(timeout),
                };
                let task = tasks.start(owner, move |task| {
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

/// The response to a finished call. Failures the model should see are tool
/// errors (MCP 2025-11-25): invalid arguments (so it can correct them), a
/// trap or a limit.
fn tool_result(name: &str, done: Finished) -> Result<CallToolResult, ErrorData> {
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
            Ok(convert::error_result(&failure.to_string()))
        }
    }
}

/// How a call that went on as a task ended, as the task reports it: a
/// result (a tool error included) completes it; a failure of the plugin
/// (a trap, a limit) fails it with the reason.
fn task_outcome(
    finished: Result<Finished, oneshot::error::RecvError>,
) -> Result<CallToolResult, TaskExit> {
    match finished {
        Ok(Err(failure)) => Err(TaskExit::Error(failure_error(&failure))),
        Ok(done) => tool_result("", done).map_err(TaskExit::Error),
        Err(_) => Err(TaskExit::Error(ErrorData::internal_error(
            "the call ended without a result",
            None,
        ))),
    }
}

/// A plugin failure as a JSON-RPC error.
pub fn failure_error(failure: &CallFailure) -> ErrorData {
    ErrorData::internal_error(failure.to_string(), None)
}
