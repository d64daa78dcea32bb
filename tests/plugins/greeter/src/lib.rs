//! Says which build it is, so a test can tell the versions apart when the
//! file is replaced under a running server.

use kube_mcp_plugin::exports::kube_mcp::plugin::tool_provider::Guest;
use kube_mcp_plugin::types::{CallError, CallResult, Caller, PluginInfo, Tool};
use kube_mcp_plugin::{NoArgs, tool};

#[cfg(not(feature = "v2"))]
const VERSION: &str = "v1";
#[cfg(feature = "v2")]
const VERSION: &str = "v2";

struct Greeter;

impl Guest for Greeter {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "greeter".into(),
            version: if VERSION == "v1" { "1.0.0" } else { "2.0.0" }.into(),
            description: "Greets, and says which build it is. For tests only.".into(),
            capabilities: Vec::new(),
        }
    }

    fn tools() -> Vec<Tool> {
        ["hello", "slow_greet"]
            .into_iter()
            .map(|name| {
                tool::<NoArgs>(
                    name,
                    "Answers with the build's version (slow_greet after ~300 ms).",
                )
                .read_only()
                .build()
            })
            .collect()
    }

    fn call_tool(
        name: String,
        _arguments: String,
        _caller: Caller,
    ) -> Result<CallResult, CallError> {
        match name.as_str() {
            "hello" => Ok(CallResult::text(format!("hello from {VERSION}"))),
            "slow_greet" => {
                // WASI clocks are linked; busy-wait so the call stays in flight.
                let start = std::time::Instant::now();
                while start.elapsed() < std::time::Duration::from_millis(300) {
                    std::hint::black_box(());
                }
                Ok(CallResult::text(format!("hello from {VERSION}")))
            }
            _ => Err(CallError::UnknownTool(name)),
        }
    }
}

kube_mcp_plugin::export!(Greeter);
