//! The `kube-mcp:plugin` WIT package (`wit/`) as Rust: the generated
//! bindings and the types they define, and nothing else.
//!
//! These types are the vocabulary the host shares with plugins, so every
//! module may use them; the host side of each imported interface lives with
//! the logic it adapts (`kubernetes` in [`crate::kube`], the others in
//! [`crate::plugins`]), the way wasmtime-wasi keeps its `Host` impls over
//! narrow views of the store.

wasmtime::component::bindgen!({
    path: "../wit",
    // The richer world: its imports are those of `tool-plugin`, and the
    // host looks its exports up one interface at a time, so a component of
    // either world loads.
    world: "plugin",
    imports: {
        // Both wait on the network (the cluster, the client).
        "kube-mcp:plugin/kubernetes": async,
        // Trappable: a question a stateless client answers later ends the
        // call (see `plugins::imports`).
        "kube-mcp:plugin/client": async | trappable,
        // `detach` waits for the task to start.
        "kube-mcp:plugin/progress": async,
    },
    exports: { default: async },
    additional_derives: [PartialEq],
});

/// The package's files as this binary was built with them, by path
/// (`wit/world.wit`): what `plugin wit` writes and what a plugin's imports
/// are checked against.
pub const SOURCES: &[(&str, &str)] = &[
    ("wit/world.wit", include_str!("../../wit/world.wit")),
    ("wit/types.wit", include_str!("../../wit/types.wit")),
    (
        "wit/kubernetes.wit",
        include_str!("../../wit/kubernetes.wit"),
    ),
    ("wit/client.wit", include_str!("../../wit/client.wit")),
    ("wit/config.wit", include_str!("../../wit/config.wit")),
    ("wit/log.wit", include_str!("../../wit/log.wit")),
    ("wit/progress.wit", include_str!("../../wit/progress.wit")),
    ("wit/apps.wit", include_str!("../../wit/apps.wit")),
];

pub use self::exports::kube_mcp::plugin::{
    app_provider, completion_provider, prompt_provider, resource_provider, tool_execution,
    tool_provider,
};
pub use self::kube_mcp::plugin::{client, config, kubernetes, log, progress, types};
