//! Plugins: WebAssembly components that provide tools.
//!
//! A plugin targets the `tool-plugin` world of the `kube-mcp:plugin` WIT
//! package (`wit/`). The [`Runtime`] compiles a component, links it against
//! the host's imports and asks it to describe itself; the [`PluginHost`]
//! keeps the plugins directory loaded in a [`Registry`] snapshot and reloads
//! it when the directory changes. Every call then runs in a fresh
//! instance with the limits of the configuration's `plugins` settings.

mod admission;
pub mod busy;
mod cache;
mod call;
mod compat;
mod context;
pub(crate) mod engine;
mod folder;
mod guest_log;
mod host;
mod http;
mod imports;
mod loader;
mod plugin;
mod registry;
pub mod settings;
mod sources;

pub use self::admission::PluginKey;
pub use self::call::GUEST_DIRECTORY;
pub use self::context::{CallContext, ClientPeer, ClientSupport, NoClient, Question, Unanswered};
pub use self::engine::engine_config;
pub use self::host::{DEBOUNCE, LoadStats, PluginHost, Reload, WatchHandle};
pub use self::loader::{LoadError, LoadFailure, Runtime};
pub use self::plugin::{CallFailure, Failure, Plugin, client_feature_name, task_support_name};
pub use self::registry::Registry;
pub use self::sources::follow as follow_sources;
