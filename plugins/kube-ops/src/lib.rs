//! kube-ops: tools that change the cluster.
//!
//! `resources_apply` (server-side apply, with dry run), `resources_delete`,
//! `resources_scale` and `rollout_restart`. The plugin requests write
//! capabilities; what it may really do is what the operator grants (none by
//! default: every call then answers denied-by-grant). Before any change
//! (apply, delete, scale, restart) it asks the user to confirm through
//! elicitation; a dry run needs no confirmation, and the model cannot opt
//! out. A client that cannot be asked (no elicitation, or a stateless
//! server) gets a refusal, unless the operator set
//! `plugins.overrides.kube-ops.settings.confirmation: notRequired`. A
//! stateless (MCP 2026-07-28) client is asked through a multi-round-trip
//! request: the question comes before any change, as the host requires.
//!
//! `rollout_restart` with `wait: true` then follows the rollout until it
//! completes, as `kubectl rollout status` does: as a task the client polls
//! and may cancel, when the client supports tasks (`progress.detach`), or
//! else for at most [`WAIT_IN_REQUEST`] within the request.

use kube_mcp_plugin::kubernetes::{
    self, ApplyOptions, DeleteOptions, Error, ObjectRef, Propagation, ResourceType,
};
use kube_mcp_plugin::progress;
use kube_mcp_plugin::tool_execution::TaskSupport;
use kube_mcp_plugin::types::{CallResult, Capability, PluginInfo, ToolAnnotations};
use kube_mcp_plugin::{Plugin, Rollout, Tools, tool};
use schemars::JsonSchema;
use serde::Deserialize;
use std::time::{Duration, Instant};

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ApplyArgs {
    /// One object as YAML or JSON, with apiVersion, kind and metadata.name
    /// (and metadata.namespace for namespaced kinds).
    manifest: String,
    /// Validate and show the result without changing anything.
    #[serde(default)]
    dry_run: bool,
    /// Take over fields another field manager owns.
    #[serde(default)]
    force: bool,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DeleteArgs {
    /// API version of the kind: `v1`, `apps/v1`.
    api_version: String,
    /// The kind, e.g. `Pod`, `Deployment`.
    kind: String,
    /// The namespace, for namespaced kinds.
    namespace: Option<String>,
    /// The object's name.
    name: String,
    #[serde(default)]
    dry_run: bool,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ScaleArgs {
    /// API version of the kind, e.g. `apps/v1`.
    #[serde(default = "apps_v1")]
    api_version: String,
    /// `Deployment`, `StatefulSet`, `ReplicaSet`.
    kind: String,
    namespace: String,
    name: String,
    /// The number of replicas wanted.
    replicas: u32,
    #[serde(default)]
    dry_run: bool,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RestartArgs {
    /// `Deployment`, `StatefulSet` or `DaemonSet`.
    kind: String,
    namespace: String,
    name: String,
    #[serde(default)]
    dry_run: bool,
    /// Follow the rollout until every pod is updated and available (as
    /// `kubectl rollout status`). Runs as a task the client can poll and
    /// cancel, when the client supports tasks.
    #[serde(default)]
    wait: bool,
}

/// How long a wait runs inside a request that could not become a task:
/// below the default plugin call limit (`plugins.limits.timeout`, 10 s).
const WAIT_IN_REQUEST: Duration = Duration::from_secs(8);

/// How often a wait looks at the object.
const POLL: Duration = Duration::from_secs(2);

fn apps_v1() -> String {
    "apps/v1".into()
}

struct KubeOps;

fn annotations(destructive: bool, idempotent: bool) -> ToolAnnotations {
    ToolAnnotations {
        read_only_hint: Some(false),
        destructive_hint: Some(destructive),
        idempotent_hint: Some(idempotent),
        open_world_hint: Some(false),
    }
}

impl Plugin for KubeOps {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "kube-ops".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Kubernetes write tools: apply, delete, scale, rollout restart.".into(),
            capabilities: vec![Capability {
                verbs: ["get", "list", "create", "patch", "delete"]
                    .map(String::from)
                    .to_vec(),
                api_groups: vec!["*".into()],
                resources: vec!["*".into()],
                namespaces: vec!["*".into()],
            }],
        }
    }

    fn tools() -> Tools {
        Tools::new()
            .add(tool::<ApplyArgs>("resources_apply", "Create or update one object by server-side apply (YAML or JSON manifest). Asks the user to confirm; use dryRun to see the result first.").annotations(annotations(true, true)), |args, _| Ok(apply(args)))
            .add(tool::<DeleteArgs>("resources_delete", "Delete one object by apiVersion, kind, namespace and name. Asks the user to confirm.").annotations(annotations(true, true)), |args, _| Ok(delete(args)))
            .add(tool::<ScaleArgs>("resources_scale", "Set the replicas of a Deployment, StatefulSet or ReplicaSet. Asks the user to confirm.").annotations(annotations(true, true)), |args, _| Ok(scale(args)))
            .add(
                tool::<RestartArgs>("rollout_restart", "Restart the pods of a Deployment, StatefulSet or DaemonSet, as kubectl rollout restart does. Asks the user to confirm. With wait, follows the rollout until every pod is updated and available (as a task the client can poll and cancel, when it supports tasks).")
                    .annotations(annotations(true, false))
                    .task_support(TaskSupport::Optional),
                |args, _| Ok(restart(args)),
            )
    }
}

fn apply(args: ApplyArgs) -> CallResult {
    if !args.dry_run {
        // A dry run names what the manifest creates or replaces,
        // so the question can; it changes nothing.
        let preview = kubernetes::apply(
            &args.manifest,
            ApplyOptions {
                dry_run: true,
                force: args.force,
            },
        );
        let target = match preview {
            Ok(object) => describe_object(&object),
            Err(e) => return answer(Err(e)),
        };
        if let Some(refused) = confirm(false, &format!("Apply {target} (create or update)?")) {
            return refused;
        }
    }
    answer(kubernetes::apply(
        &args.manifest,
        ApplyOptions {
            dry_run: args.dry_run,
            force: args.force,
        },
    ))
}

fn delete(args: DeleteArgs) -> CallResult {
    let t = match resolve(&args.api_version, &args.kind) {
        Ok(t) => t,
        Err(result) => return result,
    };
    let what = format!(
        "{} {}{}",
        args.kind,
        ns_prefix(args.namespace.as_deref()),
        args.name
    );
    if let Some(refused) = confirm(args.dry_run, &format!("Delete {what}?")) {
        return refused;
    }
    answer(kubernetes::delete(
        &ObjectRef {
            type_: t,
            namespace: args.namespace.filter(|n| !n.is_empty()),
            name: args.name,
        },
        DeleteOptions {
            dry_run: args.dry_run,
            propagation: Some(Propagation::Background),
            grace_period_seconds: None,
        },
    ))
}

fn scale(args: ScaleArgs) -> CallResult {
    let t = match resolve(&args.api_version, &args.kind) {
        Ok(t) => t,
        Err(result) => return result,
    };
    let question = format!(
        "Scale {} {}/{} to {} replicas?",
        args.kind, args.namespace, args.name, args.replicas
    );
    if let Some(refused) = confirm(args.dry_run, &question) {
        return refused;
    }
    answer(kubernetes::scale(
        &ObjectRef {
            type_: t,
            namespace: Some(args.namespace),
            name: args.name,
        },
        args.replicas,
        args.dry_run,
    ))
}

fn restart(args: RestartArgs) -> CallResult {
    let resource = match args.kind.as_str() {
        "Deployment" => "deployments",
        "StatefulSet" => "statefulsets",
        "DaemonSet" => "daemonsets",
        other => {
            return CallResult::error(format!(
                "{other} cannot be restarted: use Deployment, StatefulSet or DaemonSet"
            ));
        }
    };
    let question = format!(
        "Restart the pods of {} {}/{}?",
        args.kind, args.namespace, args.name
    );
    if let Some(refused) = confirm(args.dry_run, &question) {
        return refused;
    }
    let object = ObjectRef {
        type_: ResourceType::new("apps/v1", resource),
        namespace: Some(args.namespace),
        name: args.name,
    };
    let restarted = answer(kubernetes::rollout_restart(&object, args.dry_run));
    if !args.wait || args.dry_run || restarted.is_error {
        return restarted;
    }
    wait_for_rollout(&args.kind, &object)
}

/// Follows the rollout of `object` (just restarted) until it completes.
fn wait_for_rollout(kind: &str, object: &ObjectRef) -> CallResult {
    let what = format!(
        "{kind} {}{}",
        ns_prefix(object.namespace.as_deref()),
        object.name
    );
    let as_task = progress::detach();
    let started = Instant::now();
    loop {
        let rollout = match kubernetes::get(object) {
            Ok(json) => Rollout::of(kind, &serde_json::from_str(&json).unwrap_or_default()),
            Err(e) => return answer(Err(e)),
        };
        let seconds = started.elapsed().as_secs();
        if let Some(why) = &rollout.failed {
            return CallResult::error(format!(
                "{what} restarted, but the rollout failed after {seconds} s: {why} ({})",
                rollout.describe()
            ));
        }
        if rollout.complete() {
            return CallResult::text(format!(
                "{what} restarted; the rollout is complete: {} (after {seconds} s)",
                rollout.describe()
            ));
        }
        progress::report(
            rollout.updated.min(rollout.desired) as f64,
            Some(rollout.desired as f64),
            Some(&format!("{what}: {}", rollout.describe())),
        );
        if !as_task && started.elapsed() >= WAIT_IN_REQUEST {
            return CallResult::text(format!(
                "{what} restarted; the rollout is still going after {seconds} s: {}. \
                 Ask again later, or use a client that supports tasks to wait to the end",
                rollout.describe()
            ));
        }
        std::thread::sleep(POLL);
    }
}

fn ns_prefix(namespace: Option<&str>) -> String {
    namespace
        .filter(|n| !n.is_empty())
        .map(|n| format!("{n}/"))
        .unwrap_or_default()
}

/// `Kind namespace/name` of an object's JSON, for a question.
fn describe_object(json: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
    let text = |v: &serde_json::Value| v.as_str().unwrap_or("?").to_owned();
    let kind = text(&value["kind"]);
    let name = text(&value["metadata"]["name"]);
    match value["metadata"]["namespace"].as_str() {
        Some(ns) => format!("{kind} {ns}/{name}"),
        None => format!("{kind} {name}"),
    }
}

/// Asks the user to confirm a change (see [`kube_mcp_plugin::confirm`]).
fn confirm(dry_run: bool, question: &str) -> Option<CallResult> {
    kube_mcp_plugin::confirm("kube-ops", dry_run, question)
}

/// The resource type of `kind` in `api_version`, through discovery.
fn resolve(api_version: &str, kind: &str) -> Result<ResourceType, CallResult> {
    ResourceType::of_kind(api_version, kind).map_err(CallResult::error)
}

fn answer(result: Result<String, Error>) -> CallResult {
    match result {
        Ok(text) => CallResult::text(text),
        Err(e) => CallResult::error(e.message()),
    }
}

kube_mcp_plugin::export_plugin!(KubeOps);
