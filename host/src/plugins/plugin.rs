//! A loaded plugin, and calls into it.

use std::path::PathBuf;
use std::time::Duration;

use wasmtime::{Engine, Trap};

use super::bindings::types::{CallError, CallResult, Content, PluginInfo, ResourceContents, Tool};
use super::bindings::{ToolPlugin, ToolPluginPre};
use super::call::{CallState, LimitHit, Sandbox};
use super::context::CallContext;

/// A plugin whose component compiled, linked and described itself.
pub struct Plugin {
    /// The file it was loaded from.
    pub path: PathBuf,
    pub info: PluginInfo,
    pub tools: Vec<Tool>,
    pre: ToolPluginPre<CallState>,
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
}

/// A failed call: which plugin, and why.
#[derive(Debug, thiserror::Error)]
#[error("plugin '{plugin}' {failure}")]
pub struct CallFailure {
    pub plugin: String,
    pub failure: Failure,
}

impl Plugin {
    pub(super) fn new(
        path: PathBuf,
        info: PluginInfo,
        tools: Vec<Tool>,
        pre: ToolPluginPre<CallState>,
        engine: Engine,
        sandbox: Sandbox,
    ) -> Plugin {
        Plugin {
            path,
            info,
            tools,
            pre,
            engine,
            sandbox,
        }
    }

    pub fn name(&self) -> &str {
        &self.sandbox.plugin
    }

    /// Runs tool `name` in a fresh instance: nothing survives the call.
    pub async fn call_tool(
        &self,
        name: &str,
        arguments: &str,
        context: &CallContext,
    ) -> Result<Result<CallResult, CallError>, CallFailure> {
        let fail = |failure| CallFailure {
            plugin: self.name().to_owned(),
            failure,
        };
        let mut store = CallState::new_store(&self.engine, &self.sandbox, context.clone())
            .map_err(|e| fail(Failure::Instantiate(format!("{e:#}"))))?;
        let outcome = async {
            let instance: ToolPlugin = self.pre.instantiate_async(&mut store).await?;
            instance
                .kube_mcp_plugin_tool_provider()
                .call_call_tool(&mut store, name, arguments, &context.caller)
                .await
        }
        .await;
        let result = match outcome {
            Ok(result) => result,
            Err(e) => return Err(fail(self.classify(&e, store.data().limit_hit))),
        };
        if let Ok(result) = &result {
            let size = result_size(result);
            let limit = self.sandbox.limits.output_bytes;
            if size > limit {
                return Err(fail(Failure::OutputTooLarge { size, limit }));
            }
        }
        Ok(result)
    }

    /// Names the limit or fault behind a failed call.
    fn classify(&self, error: &wasmtime::Error, limit_hit: Option<LimitHit>) -> Failure {
        let limits = self.sandbox.limits;
        match (error.downcast_ref::<Trap>(), limit_hit) {
            (Some(Trap::Interrupt), _) => Failure::Timeout(limits.timeout),
            (Some(Trap::StackOverflow), _) => Failure::StackOverflow,
            // A guest whose memory cannot grow aborts (an `unreachable`
            // trap); the limiter recorded why.
            (_, Some(LimitHit::Memory)) => Failure::Memory(limits.memory_bytes),
            _ => Failure::Trap(
                format!("{error:#}")
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
        }
    }
}

/// The size a result has once it leaves the host (binary data counted as
/// base64, as MCP sends it).
fn result_size(result: &CallResult) -> u64 {
    let base64 = |n: usize| (n as u64).div_ceil(3) * 4;
    let content: u64 = result
        .content
        .iter()
        .map(|c| match c {
            Content::Text(t) => t.text.len() as u64,
            Content::Image(b) | Content::Audio(b) => {
                base64(b.data.len()) + b.mime_type.len() as u64
            }
            Content::Resource(r) => {
                r.uri.len() as u64
                    + match &r.contents {
                        ResourceContents::Text(t) => t.len() as u64,
                        ResourceContents::Blob(b) => base64(b.len()),
                    }
            }
            Content::ResourceLink(l) => {
                (l.uri.len() + l.name.len() + l.description.as_ref().map_or(0, String::len)) as u64
            }
        })
        .sum();
    content
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
