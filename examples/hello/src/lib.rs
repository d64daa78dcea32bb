//! A minimal kube-mcp plugin: two tools with typed arguments.
//!
//! Build: `cargo build --release --target wasm32-wasip2 -p hello-plugin`,
//! then copy `target/wasm32-wasip2/release/hello_plugin.wasm` into the
//! server's plugins directory. `kube-mcp plugin inspect` shows what it
//! offers.

use kube_mcp_plugin::exports::kube_mcp::plugin::tool_provider::Guest;
use kube_mcp_plugin::types::{CallError, CallResult, Caller, PluginInfo, Tool};
use kube_mcp_plugin::{parse_args, tool};
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

impl Guest for Hello {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "hello".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "An example plugin: greets and adds.".into(),
            // No Kubernetes access needed.
            capabilities: Vec::new(),
        }
    }

    fn tools() -> Vec<Tool> {
        vec![
            tool::<GreetArgs>("greet", "Greets someone by name.")
                .title("Greet")
                .read_only()
                .build(),
            tool::<AddArgs>("add", "Adds two integers.")
                .read_only()
                .output::<Sum>()
                .build(),
        ]
    }

    fn call_tool(name: String, arguments: String, caller: Caller) -> Result<CallResult, CallError> {
        match name.as_str() {
            "greet" => {
                let args: GreetArgs = parse_args(&arguments)?;
                let greeting = format!("Hello, {}! (asked by {})", args.name, caller.subject);
                Ok(CallResult::text(if args.shout {
                    greeting.to_uppercase()
                } else {
                    greeting
                }))
            }
            "add" => {
                let args: AddArgs = parse_args(&arguments)?;
                match args.a.checked_add(args.b) {
                    Some(sum) => Ok(CallResult::json(&Sum { sum })),
                    None => Ok(CallResult::error("the sum does not fit in 64 bits")),
                }
            }
            _ => Err(CallError::UnknownTool(name)),
        }
    }
}

kube_mcp_plugin::export!(Hello);
