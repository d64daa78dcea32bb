//! {{name}}: a kube-mcp plugin. One tool, `{{tool}}`, lists the pods of a
//! namespace through the host's `kubernetes` interface, within the grant
//! the operator gives this plugin.

use kube_mcp_plugin::exports::kube_mcp::plugin::tool_provider::Guest;
use kube_mcp_plugin::kubernetes::{self, ListOptions, PageOptions, ResourceType};
use kube_mcp_plugin::types::{CallError, CallResult, Caller, Capability, PluginInfo, Tool};
use kube_mcp_plugin::{log, parse_args, progress, tool};
use schemars::JsonSchema;
use serde::Deserialize;

/// Arguments of `{{tool}}`. Doc comments become the schema's descriptions.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PodsArgs {
    /// The namespace to list pods in.
    namespace: String,
    /// Only pods with these labels, e.g. `app=web`.
    #[serde(default)]
    label_selector: Option<String>,
}

struct Plugin;

impl Guest for Plugin {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "{{name}}".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Lists pods.".into(),
            // What the plugin asks for. The operator grants it (or less) in
            // the server's `plugins.grants.{{name}}`.
            capabilities: vec![Capability {
                verbs: vec!["list".into()],
                api_groups: vec!["".into()],
                resources: vec!["pods".into()],
                namespaces: vec!["*".into()],
            }],
        }
    }

    fn tools() -> Vec<Tool> {
        vec![
            tool::<PodsArgs>("{{tool}}", "Lists the pods of a namespace, as a table.")
                .read_only()
                .list_output()
                .build(),
        ]
    }

    fn call_tool(name: String, arguments: String, caller: Caller) -> Result<CallResult, CallError> {
        match name.as_str() {
            "{{tool}}" => {
                let args: PodsArgs = parse_args(&arguments)?;
                log::write(
                    log::Level::Info,
                    &format!("{} lists pods in {}", caller.subject, args.namespace),
                );
                progress::report(0.0, Some(1.0), Some("listing pods"));
                let pods = ResourceType::new("v1", "pods");
                let options = ListOptions {
                    namespace: Some(args.namespace),
                    label_selector: args.label_selector,
                    ..Default::default()
                };
                let page = kubernetes::list_page(&pods, &options, PageOptions::default());
                progress::report(1.0, Some(1.0), None);
                Ok(match page {
                    Ok(page) => CallResult::page(page),
                    // Denied by the grant, forbidden by RBAC, not found...:
                    // a result the model reads, in the API's own words.
                    Err(e) => CallResult::error(e.message()),
                })
            }
            _ => Err(CallError::UnknownTool(name)),
        }
    }
}

kube_mcp_plugin::export!(Plugin);
