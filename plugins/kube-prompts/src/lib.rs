//! kube-prompts: prompts that walk a model through the Kubernetes tools
//! the way an operator would: `troubleshoot_workload`,
//! `cluster_health_check` and `capacity_report`.
//!
//! A prompt is text the user picks in their client; it reads nothing
//! itself, so this plugin requests no Kubernetes capability at all. The
//! tools it names come from kube-core, kube-rollouts and kube-nodes (and
//! `pods_top`/`nodes_top` where the cluster has a Metrics API); a step
//! whose tool the server does not offer says to skip it. Prompts are
//! listed and policed like tools (`tools.rules` may allow or deny them by
//! name).

use exports::kube_mcp::plugin::{completion_provider, prompt_provider, resource_provider};
use kube_mcp_plugin::types::{
    Caller, Completion, CompletionReference, Content, EmbeddedResource, PluginInfo, Prompt,
    PromptArgument, PromptError, PromptMessage, PromptResult, ResourceError, ResourceInfo,
    ResourceTemplate, Role, TextContent,
};
use kube_mcp_plugin::{Plugin, Tools};

// The `plugin` world, its imports (and so its types) the SDK's (see the
// SDK's documentation, "Prompts, resources and completions").
wit_bindgen::generate!({
    path: "../../wit",
    world: "plugin",
    with: {
        "kube-mcp:plugin/types@0.1.3": kube_mcp_plugin::types,
        "kube-mcp:plugin/config@0.1.3": kube_mcp_plugin::config,
        "kube-mcp:plugin/log@0.1.3": kube_mcp_plugin::log,
        "kube-mcp:plugin/progress@0.1.3": kube_mcp_plugin::progress,
        "kube-mcp:plugin/client@0.1.3": kube_mcp_plugin::client,
        "kube-mcp:plugin/kubernetes@0.1.3": kube_mcp_plugin::kubernetes,
    },
});

struct KubePrompts;

impl Plugin for KubePrompts {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "kube-prompts".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Troubleshooting prompts: a workload, the cluster's health, capacity."
                .into(),
            capabilities: Vec::new(),
        }
    }

    fn tools() -> Tools {
        Tools::new()
    }
}

fn argument(name: &str, description: &str, required: bool) -> PromptArgument {
    PromptArgument {
        name: name.into(),
        title: None,
        description: Some(description.into()),
        required,
    }
}

impl prompt_provider::Guest for KubePrompts {
    fn prompts() -> Vec<Prompt> {
        vec![
            Prompt {
                name: "troubleshoot_workload".into(),
                title: Some("Troubleshoot a workload".into()),
                description: "Find out why a Deployment, StatefulSet or DaemonSet (or one pod) is not healthy: describe it, its pods, their last terminations, logs and events, and what changed in its last rollout; then explain the cause and propose a fix without changing anything.".into(),
                arguments: vec![
                    argument("namespace", "The workload's namespace.", true),
                    argument("name", "The workload's name.", true),
                    argument(
                        "kind",
                        "Deployment (the default), StatefulSet, DaemonSet or Pod.",
                        false,
                    ),
                ],
            },
            Prompt {
                name: "cluster_health_check".into(),
                title: Some("Cluster health check".into()),
                description: "Check the whole cluster the way an on-call engineer would: nodes and their conditions, pods that are not running, workloads short of replicas, warning events, pending volumes; report what is wrong, by severity.".into(),
                arguments: vec![argument(
                    "namespace",
                    "Only this namespace (default: every namespace).",
                    false,
                )],
            },
            Prompt {
                name: "capacity_report".into(),
                title: Some("Capacity report".into()),
                description: "Compare what each node can allocate with what its pods request and really use; name the busiest nodes and pods and the room left.".into(),
                arguments: vec![argument(
                    "namespace",
                    "Also break usage down for this namespace's pods.",
                    false,
                )],
            },
        ]
    }

    fn get_prompt(
        name: String,
        arguments: Vec<(String, String)>,
        _caller: Caller,
    ) -> Result<PromptResult, PromptError> {
        let arg = |key: &str| {
            arguments
                .iter()
                .find(|(k, v)| k == key && !v.trim().is_empty())
                .map(|(_, v)| v.trim().to_owned())
        };
        let required = |key: &str| {
            arg(key).ok_or_else(|| PromptError::InvalidArguments(format!("'{key}' is required")))
        };
        let (description, text) = match name.as_str() {
            "troubleshoot_workload" => {
                let (namespace, name) = (required("namespace")?, required("name")?);
                let kind = arg("kind").unwrap_or_else(|| "Deployment".into());
                let kind = match kind.to_ascii_lowercase().as_str() {
                    "deployment" | "deploy" => "Deployment",
                    "statefulset" | "sts" => "StatefulSet",
                    "daemonset" | "ds" => "DaemonSet",
                    "pod" | "po" => "Pod",
                    _ => {
                        return Err(PromptError::InvalidArguments(format!(
                            "kind '{kind}' is not one of Deployment, StatefulSet, DaemonSet, Pod"
                        )));
                    }
                };
                (
                    format!("Troubleshoot {kind} {namespace}/{name}"),
                    troubleshoot(kind, &namespace, &name),
                )
            }
            "cluster_health_check" => {
                let scope = arg("namespace");
                (
                    "Cluster health check".to_owned(),
                    health_check(scope.as_deref()),
                )
            }
            "capacity_report" => {
                let namespace = arg("namespace");
                ("Capacity report".to_owned(), capacity(namespace.as_deref()))
            }
            _ => return Err(PromptError::UnknownPrompt(name)),
        };
        Ok(PromptResult {
            description: Some(description),
            messages: vec![PromptMessage {
                role: Role::User,
                content: Content::Text(TextContent { text }),
            }],
        })
    }
}

/// Shared by every prompt: how to use the tools, and not to change things.
const GROUND_RULES: &str = "Ground rules: read before you conclude, and quote what you read (a condition's reason, an exit code, an event with its count). Use only the tools the server offers; if one named here is missing, say so and go on without it. Change nothing: propose a fix and let me decide (a change tool will ask me to confirm anyway).";

fn troubleshoot(kind: &str, namespace: &str, name: &str) -> String {
    let api_version = if kind == "Pod" { "v1" } else { "apps/v1" };
    let mut steps = vec![format!(
        "Call resources_describe with apiVersion {api_version}, kind {kind}, namespace {namespace}, name {name}. Note its conditions (reason and age), replica counts, owner chain, and its recent events."
    )];
    if kind != "Pod" {
        steps.push(format!(
            "For each of its pods that is not Ready or has restarts (the describe lists them), call resources_describe on the pod (apiVersion v1, kind Pod, namespace {namespace}). Look at each container's State and Last State: the waiting reason (CrashLoopBackOff, ImagePullBackOff, CreateContainerConfigError), the last termination's reason and exit code (Error 1, OOMKilled 137, Completed 0), restarts, probes, requests and limits, and the pod's events (FailedScheduling, BackOff, Unhealthy)."
        ));
    }
    steps.push(format!(
        "For a container that crashed, call pods_log with namespace {namespace}, the pod's name, the container, previous: true and tail: 100: the last lines before it died usually say why. For one that runs but misbehaves, read its current log (tail: 200)."
    ));
    steps.push(format!(
        "Call events_list for namespace {namespace} and read the Warning events of the last hour that concern this {kind} or its pods, its PersistentVolumeClaims and its node."
    ));
    if kind != "Pod" {
        steps.push(format!(
            "Call rollout_history with kind {kind}, namespace {namespace}, name {name}. If the trouble started with the newest revision, compare its images and template with the previous one (rollout_history with revision). rollout_status tells whether the rollout is still going or has failed."
        ));
    }
    steps.push("If pods are Pending, describe one: its events say why it cannot be scheduled (insufficient cpu or memory, taints, node selectors, unbound volumes). resources_describe on the nodes shows their taints and what their pods already request.".into());
    steps.push(
        "Then answer in three parts: the cause, in one sentence; the evidence, as short quotes from what you read; the fix, as concrete steps (for example a rollout_undo to a named revision, a corrected image or limit, a missing ConfigMap or Secret) — without making it."
        .into(),
    );
    numbered(
        &format!("Find out why {kind} {name} in namespace {namespace} is not healthy."),
        &steps,
    )
}

fn health_check(namespace: Option<&str>) -> String {
    let scope = match namespace {
        Some(ns) => format!("namespace {ns}"),
        None => "every namespace".into(),
    };
    let ns_arg = namespace.map_or(String::new(), |ns| format!(" with namespace {ns}"));
    let steps = vec![
        "Call list_nodes. For every node that is not Ready, or reports MemoryPressure, DiskPressure or PIDPressure, or is cordoned (SchedulingDisabled), call resources_describe on it (apiVersion v1, kind Node) and note its conditions with their reasons and ages.".to_owned(),
        format!("Call list_pods{ns_arg} with fieldSelector status.phase!=Running,status.phase!=Succeeded to find pods that are Pending, Failed or Unknown; then list_pods{ns_arg} again and look for containers that are not ready or restart often (the RESTARTS column). Describe the worst few."),
        format!("Call list_deployments{ns_arg} and find those whose READY count is below what they want; resources_describe one to see why."),
        format!("Call events_list{ns_arg} with fieldSelector type=Warning and group what repeats (the COUNT column) by reason."),
        format!("Call list_persistent_volume_claims{ns_arg} and note any that are not Bound."),
        "If the server offers nodes_top and pods_top, note the nodes above 80% of their CPU or memory and the pods that use the most.".into(),
        format!("Report for {scope}: a short table of findings (severity, what, where, since when, evidence), the most urgent first, and a line saying what is healthy. Suggest next steps, changing nothing."),
    ];
    numbered(
        &format!("Check the health of the cluster ({scope})."),
        &steps,
    )
}

fn capacity(namespace: Option<&str>) -> String {
    let mut steps = vec![
        "Call list_nodes, then resources_describe on each node (apiVersion v1, kind Node): note Allocatable, and the Allocated resources section (the CPU and memory its pods request and limit, as a share of allocatable), and its taints.".to_owned(),
        "If the server offers nodes_top, call it sorted by cpu and then by memory: that is what the nodes really use, next to what their pods reserve. If there is no Metrics API, say so and work from requests alone.".into(),
        "If the server offers pods_top, call it for every namespace sorted by memory and by cpu, and name the ten heaviest pods; compare each with its requests and limits (resources_describe on the pod) to find pods that ask for much more than they use, or use more than they ask.".into(),
    ];
    if let Some(ns) = namespace {
        steps.push(format!(
            "For namespace {ns}: call pods_top with namespace {ns} and list_pods with namespace {ns}, and sum what its pods request and use."
        ));
    }
    steps.push("Report: a table per node (allocatable, requested, used, room left for CPU and memory), the busiest nodes and pods, and how many more pods of a typical size would fit. Recommend right-sizing where requests and use differ by more than half, changing nothing.".into());
    numbered("Report on the cluster's capacity.", &steps)
}

fn numbered(goal: &str, steps: &[String]) -> String {
    let mut text = format!("{goal}\n\n");
    for (i, step) in steps.iter().enumerate() {
        text.push_str(&format!("{}. {step}\n", i + 1));
    }
    text.push('\n');
    text.push_str(GROUND_RULES);
    text
}

impl resource_provider::Guest for KubePrompts {
    fn resources() -> Vec<ResourceInfo> {
        Vec::new()
    }

    fn resource_templates() -> Vec<ResourceTemplate> {
        Vec::new()
    }

    fn read_resource(uri: String, _caller: Caller) -> Result<Vec<EmbeddedResource>, ResourceError> {
        Err(ResourceError::NotFound(uri))
    }
}

impl completion_provider::Guest for KubePrompts {
    fn complete(
        reference: CompletionReference,
        argument: String,
        value: String,
        _context: Vec<(String, String)>,
        _caller: Caller,
    ) -> Completion {
        let kinds: &[&str] = match (&reference, argument.as_str()) {
            (CompletionReference::Prompt(name), "kind") if name == "troubleshoot_workload" => {
                &["Deployment", "StatefulSet", "DaemonSet", "Pod"]
            }
            _ => &[],
        };
        let values: Vec<String> = kinds
            .iter()
            .filter(|k| k.to_lowercase().starts_with(&value.to_lowercase()))
            .map(|k| (*k).to_owned())
            .collect();
        Completion {
            total: Some(values.len() as u32),
            values,
            has_more: false,
        }
    }
}

kube_mcp_plugin::export_plugin!(KubePrompts, exports in exports::kube_mcp::plugin);
export!(KubePrompts);
