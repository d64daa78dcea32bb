//! The resources view (MCP Apps): kube-core's list tools render their rows
//! in it, sortable and filterable, with a continue-token pager and a detail
//! pane that describes an object and shows its events (and a pod's log)
//! through the client's Apps bridge.
//!
//! `resources.html` is the whole view: markup, style and script in one
//! document, no network, no external files. It speaks the Apps protocol
//! (JSON-RPC over `postMessage`, specification 2026-01-26) itself rather
//! than bundling an SDK, to stay small.

use kube_mcp_plugin::app_provider::View;
use kube_mcp_plugin::types::CallResult;
use schemars::JsonSchema;
use serde::Serialize;

use crate::Builtin;

/// Where the view lives.
pub const URI: &str = "ui://kube-core/resources";

/// The view's document.
const HTML: &str = include_str!("resources.html");

/// The view, as the plugin declares it.
pub fn resources() -> View {
    kube_mcp_plugin::view(URI, "resources", HTML)
        .title("Kubernetes resources")
        .description(
            "A live table of a list tool's rows: sort, filter, page with the continue token, \
             and open an object's describe, events and log.",
        )
        .prefers_border(true)
}

/// What `resources_view_kinds` answers.
#[derive(Serialize, JsonSchema)]
pub struct Kinds {
    /// One per built-in list tool.
    kinds: Vec<Kind>,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct Kind {
    list_tool: String,
    api_version: String,
    kind: String,
    namespaced: bool,
}

/// The kinds of `builtins`, for the view to know what a list tool's rows
/// are (and so what to describe).
pub fn kinds(builtins: &[Builtin]) -> CallResult {
    let kinds = Kinds {
        kinds: builtins
            .iter()
            .map(|b| Kind {
                list_tool: b.list.into(),
                api_version: b.api_version.into(),
                kind: b.kind.into(),
                namespaced: b.namespaced,
            })
            .collect(),
    };
    CallResult::json(&kinds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_view_is_self_contained_and_small() {
        assert!(HTML.starts_with("<!doctype html>"));
        // No external script, style or fetch: everything is inline.
        for forbidden in [
            "src=\"http",
            "href=\"http",
            "fetch(",
            "XMLHttpRequest",
            "WebSocket",
        ] {
            assert!(!HTML.contains(forbidden), "{forbidden}");
        }
        assert!(HTML.len() < 32 * 1024, "{} bytes", HTML.len());
    }

    #[test]
    fn kinds_name_every_builtin_list_tool() {
        let result = kinds(crate::BUILTINS);
        let value: serde_json::Value =
            serde_json::from_str(result.structured_content.as_deref().unwrap()).unwrap();
        let pods = value["kinds"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["listTool"] == "list_pods")
            .unwrap();
        assert_eq!(pods["kind"], "Pod");
        assert_eq!(pods["apiVersion"], "v1");
        assert_eq!(pods["namespaced"], true);
    }
}
