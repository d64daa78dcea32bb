//! {{name}}: a kube-mcp plugin. One tool, `{{tool}}`, lists the pods of a
//! namespace through the host's `kubernetes` interface, within the grant
//! the operator gives this plugin.

use kube_mcp_plugin::kubernetes::{self, ListOptions, PageOptions, ResourceType};
use kube_mcp_plugin::types::{CallError, CallResult, Caller, Capability, PluginInfo};
use kube_mcp_plugin::{Plugin, Tools, log, progress, tool};
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

struct ThisPlugin;

impl Plugin for ThisPlugin {
    fn info() -> PluginInfo {
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

    /// Every tool, registered once with the function that runs it.
    fn tools() -> Tools {
        Tools::new().add(
            tool::<PodsArgs>("{{tool}}", "Lists the pods of a namespace, as a table.")
                .read_only()
                .list_output(),
            list_pods,
        )
    }
}

/// `{{tool}}`: its arguments arrive parsed into `PodsArgs`.
fn list_pods(args: PodsArgs, caller: &Caller) -> Result<CallResult, CallError> {
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
        // Denied by the grant, forbidden by RBAC, not found...: a result
        // the model reads, in the API's own words.
        Err(e) => CallResult::error(e.message()),
    })
}

kube_mcp_plugin::export_plugin!(ThisPlugin);
