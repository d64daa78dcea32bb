//! Plugins: WebAssembly components that provide tools.
//!
//! A plugin targets the `tool-plugin` world of the `kube-mcp:plugin` WIT
//! package (`wit/`). The [`Runtime`] compiles each `*.wasm` of the plugins
//! directory, links it against the host's imports, asks it to describe
//! itself, and keeps it in a [`Registry`]. Every call then runs in a fresh
//! instance with the limits of the configuration's `plugins` settings.

mod bindings;
mod call;
mod engine;
mod guest_log;
mod loader;
mod plugin;
mod registry;

pub use self::bindings::types;
pub use self::call::GUEST_DIRECTORY;
pub use self::loader::{LoadError, LoadFailure, LoadReport, Runtime};
pub use self::plugin::{CallFailure, Failure, Plugin};
pub use self::registry::Registry;
