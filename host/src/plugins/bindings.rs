//! Host bindings of the `kube-mcp:plugin` WIT package, and the host side of
//! the interfaces plugins import.
//!
//! The generated types live here; each imported interface's `Host` impl sits
//! next to them and stays a thin adapter over plain Rust.

use super::call::CallState;

wasmtime::component::bindgen!({
    path: "../wit",
    world: "tool-plugin",
    exports: { default: async },
});

pub use self::kube_mcp::plugin::types;

use self::kube_mcp::plugin::log::{self, Level};

impl types::Host for CallState {}

/// `log`: a plugin's lines go to the server's log, tagged with the plugin.
impl log::Host for CallState {
    fn write(&mut self, level: Level, message: String) {
        let plugin = &*self.plugin;
        match level {
            Level::Trace => tracing::trace!(target: "kube_mcp::plugin", plugin, "{message}"),
            Level::Debug => tracing::debug!(target: "kube_mcp::plugin", plugin, "{message}"),
            Level::Info => tracing::info!(target: "kube_mcp::plugin", plugin, "{message}"),
            Level::Warn => tracing::warn!(target: "kube_mcp::plugin", plugin, "{message}"),
            Level::Error => tracing::error!(target: "kube_mcp::plugin", plugin, "{message}"),
        }
    }
}
