//! Write [kube-mcp](https://github.com/kube-mcp/kube-mcp) tool plugins in Rust.
//!
//! A plugin is a WebAssembly component built for `wasm32-wasip2` that targets
//! the `tool-plugin` world of the `kube-mcp:plugin` WIT package (`wit/` in the
//! repository). This crate generates the bindings for you:
//!
//! ```ignore
//! use kube_mcp_plugin::types::*;
//! use kube_mcp_plugin::{Plugin, Tools, tool};
//!
//! #[derive(serde::Deserialize, schemars::JsonSchema)]
//! struct GreetArgs {
//!     /// Who to greet.
//!     name: String,
//! }
//!
//! struct MyPlugin;
//!
//! impl Plugin for MyPlugin {
//!     fn info() -> PluginInfo { /* name, version, capabilities */ }
//!     fn tools() -> Tools {
//!         // Each tool once, with its handler: its arguments arrive parsed
//!         // into the type its input schema was made from.
//!         Tools::new().add(
//!             tool::<GreetArgs>("greet", "Greets someone.").read_only(),
//!             |args, _caller| Ok(CallResult::text(format!("Hello, {}!", args.name))),
//!         )
//!     }
//! }
//!
//! kube_mcp_plugin::export_plugin!(MyPlugin);
//! ```
//!
//! A plugin may instead implement the `tool-provider` interface itself
//! ([`exports::kube_mcp::plugin::tool_provider::Guest`]) and export it with
//! [`export!`].
//!
//! ## Views (MCP Apps)
//!
//! A plugin may ship views: self-contained HTML documents that clients
//! supporting MCP Apps render a tool's answer in. [`Plugin::views`] returns
//! them ([`view`]), and a tool names its view with [`ToolBuilder::view`];
//! [`ToolBuilder::app_only`] makes a tool only views may call, and
//! [`ToolBuilder::app_visible`] opens one to views without a view of its
//! own:
//!
//! ```ignore
//! fn views() -> Vec<kube_mcp_plugin::app_provider::View> {
//!     vec![kube_mcp_plugin::view("ui://my-plugin/pods", "pods", include_str!("pods.html"))]
//! }
//! // in tools(): tool::<PodsArgs>("my_pods", "...").read_only().view("ui://my-plugin/pods")
//! ```
//!
//! ## Prompts, resources and completions
//!
//! These belong to the larger `plugin` world. A plugin that offers them
//! generates that world itself, with the interfaces it imports taken from
//! this crate (so its types are this crate's), and has
//! [`export_plugin!`] implement its tool exports:
//!
//! ```ignore
//! wit_bindgen::generate!({
//!     path: "wit", // the kube-mcp:plugin package
//!     world: "plugin",
//!     with: {
//!         "kube-mcp:plugin/types@0.1.3": kube_mcp_plugin::types,
//!         "kube-mcp:plugin/config@0.1.3": kube_mcp_plugin::config,
//!         "kube-mcp:plugin/log@0.1.3": kube_mcp_plugin::log,
//!         "kube-mcp:plugin/progress@0.1.3": kube_mcp_plugin::progress,
//!         "kube-mcp:plugin/client@0.1.3": kube_mcp_plugin::client,
//!         "kube-mcp:plugin/kubernetes@0.1.3": kube_mcp_plugin::kubernetes,
//!     },
//! });
//!
//! // impl Plugin for MyPlugin { .. }, and the prompt-provider,
//! // resource-provider and completion-provider `Guest` traits.
//! kube_mcp_plugin::export_plugin!(MyPlugin, exports in exports::kube_mcp::plugin);
//! export!(MyPlugin); // tools, prompts, resources, completions
//! ```
//!
//! The repository's conformance plugin (`plugins/conformance`) is built so.
//!
//! [`examples/hello`](https://github.com/kube-mcp/kube-mcp/tree/main/examples/hello)
//! is a complete plugin.
//!
//! Build with `cargo build --release --target wasm32-wasip2` and drop the
//! `.wasm` into the server's plugins directory.

wit_bindgen::generate!({
    path: "wit",
    // `tool-plugin` and the views of `app-plugin`: a plugin without views
    // exports an empty `app-provider` (see `export!`).
    world: "app-plugin",
    pub_export_macro: true,
    // Wrapped by `export!` below, which fills in `tool-execution`.
    export_macro_name: "export_bindings",
    default_bindings_module: "kube_mcp_plugin",
});

/// Exports `$plugin` as the component's plugin.
///
/// `export!(MyPlugin)` says every tool runs while the request waits and
/// needs nothing of the client. A plugin with tools that may run as tasks,
/// or that cannot work without elicitation, sampling or roots, implements
/// [`exports::kube_mcp::plugin::tool_execution::Guest`] itself and writes
/// `export!(MyPlugin, with_executions)`.
#[macro_export]
macro_rules! export {
    ($plugin:ident) => {
        impl $crate::exports::kube_mcp::plugin::tool_execution::Guest for $plugin {
            fn executions()
            -> ::std::vec::Vec<$crate::exports::kube_mcp::plugin::tool_execution::Execution> {
                ::std::vec::Vec::new()
            }
        }
        impl $crate::exports::kube_mcp::plugin::app_provider::Guest for $plugin {
            fn views() -> ::std::vec::Vec<$crate::exports::kube_mcp::plugin::app_provider::View> {
                ::std::vec::Vec::new()
            }
            fn tool_views()
            -> ::std::vec::Vec<$crate::exports::kube_mcp::plugin::app_provider::ToolView> {
                ::std::vec::Vec::new()
            }
        }
        $crate::export_bindings!($plugin);
    };
    ($plugin:ident, with_executions) => {
        $crate::export_bindings!($plugin);
    };
}

mod args;
mod builder;
mod confirm;
mod plugin;
mod rollout;
mod wait;

// What the derives in a plugin need, at the versions this SDK uses: a
// plugin may depend on these crates itself (as the template does) or use
// them from here.
pub use schemars;
pub use serde;
pub use serde_json;

pub use args::{NoArgs, parse_args, schema_of};
pub use builder::{ToolBuilder, tool};
pub use confirm::confirm;
pub use plugin::{Plugin, Tools};
pub use rollout::Rollout;
pub use wait::{Wait, begin_wait};

/// The shared types of the WIT package, under a short path.
pub use kube_mcp::plugin::types;

/// Log lines to the server's log, tagged with the plugin and the call.
pub use kube_mcp::plugin::log;

/// The operator's settings for this plugin (`plugins.overrides.<plugin>.settings`).
pub use kube_mcp::plugin::config;

/// The cluster, within the plugin's grant.
pub use kube_mcp::plugin::kubernetes;

/// Progress reports of the current call.
pub use kube_mcp::plugin::progress;

/// Questions to the calling client: elicitation, sampling and roots.
pub use kube_mcp::plugin::client;

/// How tools run: as tasks, and what they need of the client (see
/// [`export!`]).
pub use exports::kube_mcp::plugin::tool_execution;

/// Views (MCP Apps) shipped with the tools: see [`Plugin::views`] and
/// [`ToolBuilder::view`].
pub use exports::kube_mcp::plugin::app_provider;

mod view;
pub use view::view;

mod kube;

pub use kube::{
    GetOutput, LIST_PAGE_SCHEMA, ListOutput, PROXY_RESPONSE_SCHEMA, find_kind, find_resource,
};

impl types::CallResult {
    /// A successful result holding one text item.
    pub fn text(text: impl Into<String>) -> Self {
        Self::ok(vec![types::Content::text(text)])
    }

    /// A successful result with these content items.
    pub fn ok(content: Vec<types::Content>) -> Self {
        types::CallResult {
            content,
            structured_content: None,
            is_error: false,
        }
    }

    /// A failed result the model sees (`isError: true`) with one text item.
    pub fn error(text: impl Into<String>) -> Self {
        types::CallResult {
            is_error: true,
            ..Self::text(text)
        }
    }
}

impl types::Content {
    /// A text content item.
    pub fn text(text: impl Into<String>) -> Self {
        types::Content::Text(types::TextContent { text: text.into() })
    }
}

impl types::ToolAnnotations {
    /// Annotations of a tool that only reads.
    pub fn read_only() -> Self {
        types::ToolAnnotations {
            read_only_hint: Some(true),
            destructive_hint: Some(false),
            idempotent_hint: Some(true),
            open_world_hint: Some(false),
        }
    }

    /// No hints at all.
    pub fn none() -> Self {
        types::ToolAnnotations {
            read_only_hint: None,
            destructive_hint: None,
            idempotent_hint: None,
            open_world_hint: None,
        }
    }
}
