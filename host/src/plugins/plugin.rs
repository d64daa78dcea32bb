//! A loaded plugin, and calls into it.

use std::path::PathBuf;
use std::sync::Arc;

use wasmtime::Engine;

use super::bindings::types::{CallError, CallResult, Caller, PluginInfo, Tool};
use super::bindings::{ToolPlugin, ToolPluginPre};
use super::call::{CallState, Limits};

/// A plugin whose component compiled, linked and described itself.
pub struct Plugin {
    /// The file it was loaded from.
    pub path: PathBuf,
    pub info: PluginInfo,
    pub tools: Vec<Tool>,
    name: Arc<str>,
    pre: ToolPluginPre<CallState>,
    engine: Engine,
    limits: Limits,
}

/// A call that failed inside the sandbox: a trap, the deadline, the memory
/// cap. Only this call is affected.
#[derive(Debug, thiserror::Error)]
#[error("plugin '{plugin}' failed: {reason}")]
pub struct CallFailure {
    pub plugin: String,
    pub reason: String,
}

impl Plugin {
    pub(super) fn new(
        path: PathBuf,
        info: PluginInfo,
        tools: Vec<Tool>,
        pre: ToolPluginPre<CallState>,
        engine: Engine,
        limits: Limits,
    ) -> Plugin {
        Plugin {
            name: info.name.as_str().into(),
            path,
            info,
            tools,
            pre,
            engine,
            limits,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs tool `name` in a fresh instance: nothing survives the call.
    pub async fn call_tool(
        &self,
        name: &str,
        arguments: &str,
        caller: &Caller,
    ) -> Result<Result<CallResult, CallError>, CallFailure> {
        let mut store = CallState::new_store(&self.engine, self.name.clone(), self.limits);
        let failure = |e: wasmtime::Error| CallFailure {
            plugin: self.name.to_string(),
            reason: format!("{e:#}"),
        };
        let instance: ToolPlugin = self
            .pre
            .instantiate_async(&mut store)
            .await
            .map_err(failure)?;
        instance
            .kube_mcp_plugin_tool_provider()
            .call_call_tool(&mut store, name, arguments, caller)
            .await
            .map_err(failure)
    }
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("name", &self.name)
            .field("version", &self.info.version)
            .field("path", &self.path)
            .field(
                "tools",
                &self.tools.iter().map(|t| &t.name).collect::<Vec<_>>(),
            )
            .finish()
    }
}
