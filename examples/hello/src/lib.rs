//! A minimal kube-mcp plugin: two tools with typed arguments.
//!
//! Build: `cargo build --release --target wasm32-wasip2 -p hello-plugin`,
//! then copy `target/wasm32-wasip2/release/hello_plugin.wasm` into the
//! server's plugins directory. `kube-mcp plugin inspect` shows what it
//! offers.

use kube_mcp_plugin::types::{CallError, CallResult, Caller, PluginInfo};
use kube_mcp_plugin::{Plugin, Tools, tool};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Arguments of `greet`. Doc comments become the schema's descriptions.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct GreetArgs {
    /// Who to greet.
    name: String,
    /// Greet loudly.
    #[serde(default)]
    shout: bool,
}

/// Arguments of `add`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct AddArgs {
    a: i64,
    b: i64,
}

/// What `add` returns, as structured content.
#[derive(Serialize, JsonSchema)]
struct Sum {
    sum: i64,
}

struct Hello;

impl Plugin for Hello {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "hello".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "An example plugin: greets and adds.".into(),
            // No Kubernetes access needed.
            capabilities: Vec::new(),
        }
    }

    /// Each tool once, with its handler: the handler receives the
    /// arguments parsed into the type the tool's schema was made from.
    fn tools() -> Tools {
        Tools::new()
            .add(
                tool::<GreetArgs>("greet", "Greets someone by name.")
                    .title("Greet")
                    .read_only(),
                greet,
            )
            .add(
                tool::<AddArgs>("add", "Adds two integers.")
                    .read_only()
                    .output::<Sum>(),
                add,
            )
    }
}

fn greet(args: GreetArgs, caller: &Caller) -> Result<CallResult, CallError> {
    let greeting = format!("Hello, {}! (asked by {})", args.name, caller.subject);
    Ok(CallResult::text(if args.shout {
        greeting.to_uppercase()
    } else {
        greeting
    }))
}

fn add(args: AddArgs, _caller: &Caller) -> Result<CallResult, CallError> {
    Ok(match args.a.checked_add(args.b) {
        Some(sum) => CallResult::json(&Sum { sum }),
        None => CallResult::error("the sum does not fit in 64 bits"),
    })
}

kube_mcp_plugin::export_plugin!(Hello);
