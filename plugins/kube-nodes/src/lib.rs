//! kube-nodes: node maintenance as `kubectl cordon`, `uncordon` and `drain`
//! do it.
//!
//! `nodes_drain` cordons the node, then evicts its pods through the
//! Eviction API, so PodDisruptionBudgets are honoured: an eviction a budget
//! refuses is retried every few seconds and reported, never bypassed with
//! a delete. DaemonSet pods and mirror pods are skipped as kubectl skips
//! them; pods no controller would recreate, and pods with `emptyDir` data,
//! are evicted only when asked (`force`, `deleteEmptyDirData`). It runs as
//! a task with progress when the client supports tasks. Every change asks
//! the user first; `dryRun` shows the plan instead.

mod drain;
mod kubelet;

use kube_mcp_plugin::kubernetes::{self, ObjectRef, PatchOptions, PatchType, ResourceType};
use kube_mcp_plugin::tool_execution::TaskSupport;
use kube_mcp_plugin::types::{CallResult, Capability, PluginInfo, ToolAnnotations};
use kube_mcp_plugin::{Plugin, Tools, confirm, tool};
use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NodeArgs {
    /// The node's name.
    name: String,
    /// Show what would change, without changing it.
    #[serde(default)]
    dry_run: bool,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DrainArgs {
    /// The node's name.
    pub name: String,
    /// Seconds each evicted pod gets to stop; absent: each pod's own
    /// `terminationGracePeriodSeconds`.
    pub grace_period_seconds: Option<u32>,
    /// How long to keep evicting (a PodDisruptionBudget may hold some pods
    /// back) and waiting for the pods to go, in seconds. Within a request
    /// default 8, at most 55 and never past the plugin's call limit
    /// (`plugins.limits.timeout`, 10 s unless the operator raised it); as a
    /// task default 600, at most 3600.
    pub timeout_seconds: Option<u64>,
    /// Also evict pods no controller manages (they will not come back).
    #[serde(default)]
    pub force: bool,
    /// Also evict pods with `emptyDir` volumes (their data is lost).
    #[serde(default)]
    pub delete_empty_dir_data: bool,
    /// Show the plan (what would be evicted, skipped or refused) without
    /// cordoning or evicting.
    #[serde(default)]
    pub dry_run: bool,
}

pub const PLUGIN: &str = "kube-nodes";

struct KubeNodes;

fn change(destructive: bool, idempotent: bool) -> ToolAnnotations {
    ToolAnnotations {
        read_only_hint: Some(false),
        destructive_hint: Some(destructive),
        idempotent_hint: Some(idempotent),
        open_world_hint: Some(false),
    }
}

impl Plugin for KubeNodes {
    fn info() -> PluginInfo {
        let core = |verbs: &[&str], resources: &[&str]| Capability {
            verbs: verbs.iter().map(|v| (*v).into()).collect(),
            api_groups: vec!["".into()],
            resources: resources.iter().map(|r| (*r).into()).collect(),
            namespaces: vec!["*".into()],
        };
        PluginInfo {
            name: PLUGIN.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Node maintenance: cordon, uncordon, drain through the Eviction API."
                .into(),
            capabilities: vec![
                core(&["get", "patch"], &["nodes"]),
                core(&["get", "list"], &["pods"]),
                core(&["create"], &["pods/eviction"]),
                // nodes_log and nodes_stats_summary: the kubelet's API behind
                // the node proxy. Not in the default grant (see docs/tools.md).
                core(&["get"], &["nodes/proxy"]),
            ],
        }
    }

    fn tools() -> Tools {
        Tools::new()
            .add(
                tool::<NodeArgs>("nodes_cordon", "Mark a node unschedulable, as kubectl cordon does: running pods stay, new ones go elsewhere. Asks the user to confirm.")
                    .annotations(change(false, true)),
                |args, _| Ok(set_unschedulable(&args.name, true, args.dry_run)),
            )
            .add(
                tool::<NodeArgs>("nodes_uncordon", "Mark a node schedulable again, as kubectl uncordon does. Asks the user to confirm.")
                    .annotations(change(false, true)),
                |args, _| Ok(set_unschedulable(&args.name, false, args.dry_run)),
            )
            .add(
                tool::<DrainArgs>("nodes_drain", "Drain a node as kubectl drain does: cordon it, then evict its pods through the Eviction API so PodDisruptionBudgets hold (a refused eviction is retried and reported, never forced). Skips DaemonSet and mirror pods; evicts pods without a controller only with force, pods with emptyDir data only with deleteEmptyDirData. Asks the user to confirm; dryRun shows the plan. Runs as a task with progress when the client supports tasks.")
                    .annotations(change(true, true))
                    .task_support(TaskSupport::Optional),
                |args, _| Ok(drain::drain(args)),
            )
            .add(
                tool::<kubelet::LogArgs>("nodes_log", "A node's own logs from its kubelet, through the API server's node proxy: a service's journal (query: kubelet) or a file under /var/log (query: /kubelet.log), the last tailLines lines. Needs get on nodes/proxy; kubelets without the NodeLogQuery feature answer only file queries.")
                    .read_only()
                    .proxy_output(),
                |args, _| Ok(kubelet::log(args)),
            )
            .add(
                tool::<kubelet::NodeName>("nodes_stats_summary", "The kubelet's Summary API of a node (/stats/summary through the node proxy): CPU, memory, filesystem and network use of the node and of each pod and container on it, as JSON. Needs get on nodes/proxy.")
                    .read_only()
                    .proxy_output(),
                |args, _| Ok(kubelet::stats_summary(args)),
            )
    }
}

/// The node `name`.
pub fn node(name: &str) -> ObjectRef {
    ObjectRef {
        type_: ResourceType::new("v1", "nodes"),
        namespace: None,
        name: name.into(),
    }
}

/// Cordons (or uncordons) node `name`.
pub fn set_unschedulable(name: &str, unschedulable: bool, dry_run: bool) -> CallResult {
    let current = match kubernetes::get(&node(name)) {
        Ok(json) => serde_json::from_str::<serde_json::Value>(&json).unwrap_or_default(),
        Err(e) => return CallResult::error(e.message()),
    };
    let is = current
        .pointer("/spec/unschedulable")
        .and_then(|v| v.as_bool())
        == Some(true);
    let done = if unschedulable {
        "cordoned"
    } else {
        "uncordoned"
    };
    if is == unschedulable {
        return CallResult::text(format!(
            "node {name} is already {done}; nothing was changed"
        ));
    }
    let question = if unschedulable {
        format!("Cordon node {name} (no new pods will be scheduled on it)?")
    } else {
        format!("Uncordon node {name} (pods may be scheduled on it again)?")
    };
    if let Some(refused) = confirm(PLUGIN, dry_run, &question) {
        return refused;
    }
    match patch_unschedulable(name, unschedulable, dry_run) {
        Ok(()) if dry_run => CallResult::text(format!(
            "dry run: node {name} would be {done}; nothing was changed"
        )),
        Ok(()) => CallResult::text(format!("node {name} {done}")),
        Err(e) => CallResult::error(e),
    }
}

/// Sets `spec.unschedulable` of node `name`.
pub fn patch_unschedulable(name: &str, unschedulable: bool, dry_run: bool) -> Result<(), String> {
    let patch = serde_json::json!({"spec": {"unschedulable": unschedulable}});
    kubernetes::patch(
        &node(name),
        PatchType::Merge,
        &patch.to_string(),
        &PatchOptions {
            dry_run,
            subresource: None,
        },
    )
    .map(drop)
    .map_err(|e| e.message())
}

kube_mcp_plugin::export_plugin!(KubeNodes);
