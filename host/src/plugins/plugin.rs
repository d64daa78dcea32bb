//! A loaded plugin, and calls into it.

use std::path::PathBuf;
use std::time::Duration;

use wasmtime::component::{Instance, InstancePre};
use wasmtime::{Engine, Store, Trap};

use super::call::{CallState, LimitHit, Sandbox};
use super::context::CallContext;
use crate::wit::tool_execution::Execution;
use crate::wit::types::{
    CallError, CallResult, Completion, CompletionReference, Content, EmbeddedResource, PluginInfo,
    Prompt, PromptError, PromptResult, ResourceContents, ResourceError, ResourceInfo,
    ResourceTemplate, Tool,
};
use crate::wit::{
    app_provider, completion_provider, prompt_provider, resource_provider, tool_execution,
    tool_provider,
};

/// Where a component's exports are, looked up once at load. Only the
/// tool provider is required.
#[derive(Clone)]
pub(super) struct Exports {
    pub tools: tool_provider::GuestIndices,
    pub prompts: Option<prompt_provider::GuestIndices>,
    pub resources: Option<resource_provider::GuestIndices>,
    pub completions: Option<completion_provider::GuestIndices>,
    pub execution: Option<tool_execution::GuestIndices>,
    pub apps: Option<app_provider::GuestIndices>,
}

/// The exported interfaces' names, as components export them.
const PACKAGE: &str = "kube-mcp:plugin";
const VERSION: &str = "0.1.0";

impl Exports {
    /// Finds the exports of `pre`'s component. An optional interface that is
    /// exported with the wrong shape is an error, not silently ignored.
    pub fn new(pre: &InstancePre<CallState>) -> wasmtime::Result<Exports> {
        let exported = |interface: &str| {
            pre.component()
                .get_export_index(None, format!("{PACKAGE}/{interface}@{VERSION}"))
                .is_some()
        };
        let optional = |interface: &str| exported(interface).then_some(());
        Ok(Exports {
            tools: tool_provider::GuestIndices::new(pre)?,
            prompts: optional("prompt-provider")
                .map(|()| prompt_provider::GuestIndices::new(pre))
                .transpose()?,
            resources: optional("resource-provider")
                .map(|()| resource_provider::GuestIndices::new(pre))
                .transpose()?,
            completions: optional("completion-provider")
                .map(|()| completion_provider::GuestIndices::new(pre))
                .transpose()?,
            execution: optional("tool-execution")
                .map(|()| tool_execution::GuestIndices::new(pre))
                .transpose()?,
            apps: optional("app-provider")
                .map(|()| app_provider::GuestIndices::new(pre))
                .transpose()?,
        })
    }
}

/// A task support's name in MCP (`execution.taskSupport`).
pub fn task_support_name(support: tool_execution::TaskSupport) -> &'static str {
    use tool_execution::TaskSupport;
    match support {
        TaskSupport::Forbidden => "forbidden",
        TaskSupport::Optional => "optional",
        TaskSupport::Required => "required",
    }
}

/// A client feature's name, as MCP's client capabilities name it.
pub fn client_feature_name(feature: tool_execution::ClientFeature) -> &'static str {
    use tool_execution::ClientFeature;
    match feature {
        ClientFeature::Elicitation => "elicitation",
        ClientFeature::Sampling => "sampling",
        ClientFeature::Roots => "roots",
    }
}

/// Everything a plugin said about itself at load.
#[derive(Debug, Clone)]
pub struct Description {
    pub info: PluginInfo,
    pub tools: Vec<Tool>,
    pub prompts: Vec<Prompt>,
    pub resources: Vec<ResourceInfo>,
    pub templates: Vec<ResourceTemplate>,
    /// How tools run, for those that said (`tool-execution`).
    pub execution: Vec<Execution>,
    /// Views and which tools show them (`app-provider`), as said.
    pub views: Vec<app_provider::View>,
    pub tool_views: Vec<app_provider::ToolView>,
    /// Bytes of linear memory a fresh instance holds before it does
    /// anything: what every call starts from.
    pub initial_memory: u64,
}

/// A plugin whose component compiled, linked and described itself.
pub struct Plugin {
    /// The file it was loaded from.
    pub path: PathBuf,
    pub info: PluginInfo,
    pub tools: Vec<Tool>,
    pub prompts: Vec<Prompt>,
    pub resources: Vec<ResourceInfo>,
    pub templates: Vec<ResourceTemplate>,
    /// How tools run, for those that said (`tool-execution`).
    pub execution: Vec<Execution>,
    /// Its views (MCP Apps) and tool links, checked at load.
    pub views: crate::apps::PluginViews,
    /// Bytes of linear memory a fresh instance holds (see [`Description`]).
    pub initial_memory: u64,
    exports: Exports,
    pre: InstancePre<CallState>,
    engine: Engine,
    sandbox: Sandbox,
}

/// Why a call failed inside the sandbox. Only that call is affected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Failure {
    #[error("exceeded its {} time limit", humantime::format_duration(*.0))]
    Timeout(Duration),
    #[error("exceeded its memory limit of {} MiB", .0 >> 20)]
    Memory(u64),
    #[error("overflowed its stack (recursion too deep)")]
    StackOverflow,
    #[error("returned {size} bytes, over its output limit of {limit} bytes")]
    OutputTooLarge { size: u64, limit: u64 },
    #[error("crashed: {0}")]
    Trap(String),
    #[error("could not start: {0}")]
    Instantiate(String),
    /// Too many calls at once, of the plugin or of the caller.
    #[error("{0}")]
    Busy(String),
    /// Not a fault: the call stopped at questions that go back to the
    /// client with the response (MCP 2026-07-28). The client's peer holds
    /// them.
    #[error("waits for the client's answers")]
    InputRequired,
    #[error("{}", super::imports::AskedAfterChange)]
    AskedAfterChange,
}

/// A failed call: which plugin, and why.
#[derive(Debug, thiserror::Error)]
#[error("plugin '{plugin}' {failure}")]
pub struct CallFailure {
    pub plugin: String,
    pub failure: Failure,
}

impl Plugin {
    /// The names the component imports and exports (WIT interfaces and
    /// functions), sorted: what an OCI artifact's config lists.
    pub fn interfaces(&self) -> (Vec<String>, Vec<String>) {
        let ty = self.pre.component().component_type();
        let mut imports: Vec<String> = ty
            .imports(&self.engine)
            .map(|(n, _)| n.to_owned())
            .collect();
        let mut exports: Vec<String> = ty
            .exports(&self.engine)
            .map(|(n, _)| n.to_owned())
            .collect();
        imports.sort();
        exports.sort();
        (imports, exports)
    }

    pub(super) fn new(
        path: PathBuf,
        description: Description,
        views: crate::apps::PluginViews,
        exports: Exports,
        pre: InstancePre<CallState>,
        engine: Engine,
        sandbox: Sandbox,
    ) -> Plugin {
        Plugin {
            path,
            info: description.info,
            tools: description.tools,
            prompts: description.prompts,
            resources: description.resources,
            templates: description.templates,
            execution: description.execution,
            views,
            initial_memory: description.initial_memory,
            exports,
            pre,
            engine,
            sandbox,
        }
    }

    pub fn name(&self) -> &str {
        &self.sandbox.plugin
    }

    /// What the operator granted this plugin.
    pub fn grants(&self) -> &[crate::kube::grants::Capability] {
        &self.sandbox.kube.granted
    }

    /// The most linear memory one call of this plugin may hold.
    pub fn memory_limit(&self) -> u64 {
        self.sandbox.limits.memory_bytes
    }

    /// Why this plugin's calls may run out of memory: a fresh instance
    /// already holds more than an eighth of the limit. Runtimes that bring
    /// their own engine (JavaScript, Python) start at 9-13 MiB and need
    /// many times what they return while building an answer, so the
    /// default 64 MiB is too tight for them; a Rust plugin starts near
    /// 1 MiB.
    pub fn memory_warning(&self) -> Option<String> {
        let (initial, limit) = (self.initial_memory, self.memory_limit());
        (initial.saturating_mul(8) > limit).then(|| {
            format!(
                "a fresh instance already holds {:.1} MiB of its {} MiB memory limit: \
                 building an answer of a few MiB may exceed it; raise \
                 plugins.overrides.{}.limits.memory (256MiB suits JavaScript and Python plugins)",
                initial as f64 / f64::from(1 << 20),
                limit >> 20,
                self.info.name
            )
        })
    }

    /// How tool `name` runs, if the plugin said.
    pub fn execution(&self, tool: &str) -> Option<&Execution> {
        self.execution.iter().find(|e| e.tool == tool)
    }

    /// Whether the plugin answers `completion/complete`.
    pub fn completes(&self) -> bool {
        self.exports.completions.is_some()
    }

    /// Runs tool `name` in a fresh instance: nothing survives the call.
    pub async fn call_tool(
        &self,
        name: &str,
        arguments: &str,
        context: &CallContext,
    ) -> Result<Result<CallResult, CallError>, CallFailure> {
        let (mut store, instance) = self.instantiate(context).await?;
        store.data_mut().tool = Some(name.into());
        let outcome = async {
            self.exports
                .tools
                .load(&mut store, &instance)?
                .call_call_tool(&mut store, name, arguments, &context.caller.for_plugins())
                .await
        }
        .await;
        let result = self.finish(&store, outcome)?;
        if let Ok(result) = &result {
            self.check_size(result_size(result))?;
        }
        Ok(result)
    }

    /// Fills in prompt `name`, in a fresh instance.
    pub async fn get_prompt(
        &self,
        name: &str,
        arguments: &[(String, String)],
        context: &CallContext,
    ) -> Result<Result<PromptResult, PromptError>, CallFailure> {
        let Some(prompts) = &self.exports.prompts else {
            return Ok(Err(PromptError::UnknownPrompt(name.to_owned())));
        };
        let (mut store, instance) = self.instantiate(context).await?;
        let outcome = async {
            prompts
                .load(&mut store, &instance)?
                .call_get_prompt(&mut store, name, arguments, &context.caller.for_plugins())
                .await
        }
        .await;
        let result = self.finish(&store, outcome)?;
        if let Ok(prompt) = &result {
            self.check_size(
                prompt
                    .messages
                    .iter()
                    .map(|m| content_size(&m.content))
                    .sum(),
            )?;
        }
        Ok(result)
    }

    /// Reads resource `uri`, in a fresh instance.
    pub async fn read_resource(
        &self,
        uri: &str,
        context: &CallContext,
    ) -> Result<Result<Vec<EmbeddedResource>, ResourceError>, CallFailure> {
        let Some(resources) = &self.exports.resources else {
            return Ok(Err(ResourceError::NotFound(uri.to_owned())));
        };
        let (mut store, instance) = self.instantiate(context).await?;
        let outcome = async {
            resources
                .load(&mut store, &instance)?
                .call_read_resource(&mut store, uri, &context.caller.for_plugins())
                .await
        }
        .await;
        let result = self.finish(&store, outcome)?;
        if let Ok(contents) = &result {
            self.check_size(contents.iter().map(resource_size).sum())?;
        }
        Ok(result)
    }

    /// Completes `argument` of `reference`, in a fresh instance. A plugin
    /// without completions completes nothing.
    pub async fn complete(
        &self,
        reference: &CompletionReference,
        argument: &str,
        value: &str,
        arguments: &[(String, String)],
        context: &CallContext,
    ) -> Result<Completion, CallFailure> {
        let Some(completions) = &self.exports.completions else {
            return Ok(Completion {
                values: Vec::new(),
                total: Some(0),
                has_more: false,
            });
        };
        let (mut store, instance) = self.instantiate(context).await?;
        let outcome = async {
            completions
                .load(&mut store, &instance)?
                .call_complete(
                    &mut store,
                    reference,
                    argument,
                    value,
                    arguments,
                    &context.caller.for_plugins(),
                )
                .await
        }
        .await;
        let mut completion = self.finish(&store, outcome)?;
        // MCP allows at most 100 values in one answer.
        if completion.values.len() > 100 {
            completion.values.truncate(100);
            completion.has_more = true;
        }
        Ok(completion)
    }

    fn fail(&self, failure: Failure) -> CallFailure {
        CallFailure {
            plugin: self.name().to_owned(),
            failure,
        }
    }

    /// A fresh store and instance for one call.
    async fn instantiate(
        &self,
        context: &CallContext,
    ) -> Result<(Store<CallState>, Instance), CallFailure> {
        let slots = self
            .sandbox
            .slots
            .take(&context.caller.id)
            .map_err(|busy| self.fail(Failure::Busy(busy.to_string())))?;
        let mut store = CallState::new_store(&self.engine, &self.sandbox, context.clone())
            .map_err(|e| self.fail(Failure::Instantiate(format!("{e:#}"))))?;
        store.data_mut().slots = slots.into();
        match self.pre.instantiate_async(&mut store).await {
            Ok(instance) => Ok((store, instance)),
            Err(e) => Err(self.fail(self.classify(&e, store.data()))),
        }
    }

    /// Maps a trap or fault of the call onto the limit or fault behind it.
    fn finish<T>(
        &self,
        store: &Store<CallState>,
        outcome: wasmtime::Result<T>,
    ) -> Result<T, CallFailure> {
        outcome.map_err(|e| self.fail(self.classify(&e, store.data())))
    }

    fn check_size(&self, size: u64) -> Result<(), CallFailure> {
        let limit = self.sandbox.limits.output_bytes;
        if size > limit {
            return Err(self.fail(Failure::OutputTooLarge { size, limit }));
        }
        Ok(())
    }

    /// Names the limit or fault behind a failed call.
    fn classify(&self, error: &wasmtime::Error, state: &CallState) -> Failure {
        let limit_hit = state.limit_hit;
        let limits = self.sandbox.limits;
        if error.is::<super::imports::InputRequired>() {
            return Failure::InputRequired;
        }
        if error.is::<super::imports::AskedAfterChange>() {
            return Failure::AskedAfterChange;
        }
        match (error.downcast_ref::<Trap>(), limit_hit) {
            // The call's own deadline: a task's is longer than the limit.
            (Some(Trap::Interrupt), _) => Failure::Timeout(state.deadline.timeout()),
            (Some(Trap::StackOverflow), _) => Failure::StackOverflow,
            // A guest whose memory cannot grow aborts (an `unreachable`
            // trap); the limiter recorded why.
            (_, Some(LimitHit::Memory)) => Failure::Memory(limits.memory_bytes),
            (trap, _) => {
                // The operator gets the whole story (backtrace included);
                // the caller one line naming the trap.
                let detail = format!("{error:#}");
                tracing::warn!(
                    target: "kube_mcp::plugin",
                    plugin = self.name(),
                    detail = %detail.split_whitespace().collect::<Vec<_>>().join(" "),
                    "plugin call trapped"
                );
                Failure::Trap(match trap {
                    // A guest whose shadow stack runs over (large frames)
                    // writes outside its memory; say that it may be that.
                    Some(Trap::MemoryOutOfBounds) => "wasm trap: out of bounds memory access \
                        (a bug, or recursion too deep for its stack)"
                        .to_owned(),
                    Some(trap) => format!("wasm trap: {trap}"),
                    None => error
                        .root_cause()
                        .to_string()
                        .lines()
                        .next()
                        .unwrap_or("unknown error")
                        .chars()
                        .take(200)
                        .collect(),
                })
            }
        }
    }
}

/// Binary data is counted as base64, as MCP sends it.
fn base64_len(n: usize) -> u64 {
    (n as u64).div_ceil(3) * 4
}

fn resource_size(r: &EmbeddedResource) -> u64 {
    r.uri.len() as u64
        + match &r.contents {
            ResourceContents::Text(t) => t.len() as u64,
            ResourceContents::Blob(b) => base64_len(b.len()),
        }
}

fn content_size(content: &Content) -> u64 {
    match content {
        Content::Text(t) => t.text.len() as u64,
        Content::Image(b) | Content::Audio(b) => {
            base64_len(b.data.len()) + b.mime_type.len() as u64
        }
        Content::Resource(r) => resource_size(r),
        Content::ResourceLink(l) => {
            (l.uri.len() + l.name.len() + l.description.as_ref().map_or(0, String::len)) as u64
        }
    }
}

/// The size a result has once it leaves the host.
fn result_size(result: &CallResult) -> u64 {
    result.content.iter().map(content_size).sum::<u64>()
        + result
            .structured_content
            .as_ref()
            .map_or(0, |s| s.len() as u64)
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("name", &self.name())
            .field("version", &self.info.version)
            .field("path", &self.path)
            .field(
                "tools",
                &self.tools.iter().map(|t| &t.name).collect::<Vec<_>>(),
            )
            .finish()
    }
}
