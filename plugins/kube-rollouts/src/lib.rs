//! kube-rollouts: the rollouts of Deployments, StatefulSets and DaemonSets.
//!
//! `rollout_status` follows a rollout until it completes or fails (as a
//! task when the client supports tasks, else within a timeout),
//! `rollout_history` lists the revisions with their change-cause and
//! images, and `rollout_undo` goes back to the previous or a given revision
//! the way `kubectl rollout undo` does: a Deployment's pod template is
//! replaced by that of the revision's ReplicaSet, a StatefulSet's or
//! DaemonSet's gets the revision's ControllerRevision patch. Undo asks the
//! user first, like every change; `dryRun` shows the result instead.
//!
//! It reads workloads, ReplicaSets and ControllerRevisions and patches only
//! the three workload kinds: grant no more than that.

mod revisions;

use std::time::{Duration, Instant};

use kube_mcp_plugin::kubernetes::{self, ObjectRef, PatchOptions, ResourceType};
use kube_mcp_plugin::progress;
use kube_mcp_plugin::tool_execution::TaskSupport;
use kube_mcp_plugin::types::{CallResult, Capability, Content, PluginInfo, ToolAnnotations};
use kube_mcp_plugin::{Plugin, Rollout, Tools, Wait, begin_wait, confirm, tool};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use revisions::{Revision, Workload};

/// The workload a tool is about.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct Target {
    /// `Deployment`, `StatefulSet` or `DaemonSet`.
    kind: String,
    /// The workload's namespace.
    namespace: String,
    /// The workload's name.
    name: String,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StatusArgs {
    #[serde(flatten)]
    target: Target,
    /// How long to wait for the rollout to finish, in seconds. Within a
    /// request (a client without tasks) default 8, at most 55 and never
    /// past the plugin's call limit (`plugins.limits.timeout`, 10 s unless
    /// the operator raised it); as a task default 600, at most 3600.
    timeout_seconds: Option<u64>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct HistoryArgs {
    #[serde(flatten)]
    target: Target,
    /// Show this revision's pod template in detail instead of the table.
    revision: Option<u64>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UndoArgs {
    #[serde(flatten)]
    target: Target,
    /// The revision to go back to (`rollout_history` lists them); absent
    /// or 0: the one before the current.
    to_revision: Option<u64>,
    /// Show what the workload would become, without changing it.
    #[serde(default)]
    dry_run: bool,
}

/// How often a wait looks at the workload.
const POLL: Duration = Duration::from_secs(1);

struct KubeRollouts;

impl Plugin for KubeRollouts {
    fn info() -> PluginInfo {
        let apps = |verbs: &[&str], resources: &[&str]| Capability {
            verbs: verbs.iter().map(|v| (*v).into()).collect(),
            api_groups: vec!["apps".into()],
            resources: resources.iter().map(|r| (*r).into()).collect(),
            namespaces: vec!["*".into()],
        };
        PluginInfo {
            name: "kube-rollouts".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description:
                "Rollouts of Deployments, StatefulSets and DaemonSets: status, history, undo."
                    .into(),
            capabilities: vec![
                apps(
                    &["get", "list"],
                    &[
                        "deployments",
                        "statefulsets",
                        "daemonsets",
                        "replicasets",
                        "controllerrevisions",
                    ],
                ),
                apps(&["patch"], &["deployments", "statefulsets", "daemonsets"]),
            ],
        }
    }

    fn tools() -> Tools {
        Tools::new()
            .add(
                tool::<StatusArgs>("rollout_status", "Wait for the rollout of a Deployment, StatefulSet or DaemonSet to finish, as kubectl rollout status does: answers when every pod is updated and available, or when the rollout has failed (progress deadline exceeded), or at the timeout with how far it got. Runs as a task the client can poll and cancel, when it supports tasks.")
                    .read_only()
                    .task_support(TaskSupport::Optional),
                |args, _| Ok(status(args)),
            )
            .add(
                tool::<HistoryArgs>("rollout_history", "The revisions of a Deployment, StatefulSet or DaemonSet, as kubectl rollout history shows them: revision, change-cause, images, age, with the current one marked; the rows as structured content. With revision, that revision's pod template.")
                    .read_only()
                    .list_output(),
                |args, _| Ok(history(args)),
            )
            .add(
                tool::<UndoArgs>("rollout_undo", "Roll a Deployment, StatefulSet or DaemonSet back to the previous revision, or to toRevision, as kubectl rollout undo does. Asks the user to confirm; dryRun shows the result without changing anything.")
                    .annotations(ToolAnnotations {
                        read_only_hint: Some(false),
                        destructive_hint: Some(true),
                        idempotent_hint: Some(false),
                        open_world_hint: Some(false),
                    }),
                |args, _| Ok(undo(args)),
            )
    }
}

fn status(args: StatusArgs) -> CallResult {
    let workload = match Workload::of(&args.target.kind, &args.target.namespace, &args.target.name)
    {
        Ok(w) => w,
        Err(e) => return CallResult::error(e),
    };
    // Read once before detaching: a missing workload is an answer now.
    if let Err(e) = workload.get() {
        return CallResult::error(e);
    }
    let Wait { as_task, timeout } = begin_wait(args.timeout_seconds);
    let started = Instant::now();
    let what = workload.to_string();
    loop {
        let object = match workload.get() {
            Ok(object) => object,
            Err(e) => return CallResult::error(e),
        };
        let rollout = Rollout::of(workload.kind, &object);
        let seconds = started.elapsed().as_secs();
        if let Some(why) = &rollout.failed {
            return CallResult::error(format!(
                "the rollout of {what} failed: {why} ({})",
                rollout.describe()
            ));
        }
        if rollout.complete() {
            return CallResult::text(format!(
                "the rollout of {what} is complete: {}{}",
                rollout.describe(),
                if seconds > 0 {
                    format!(" (waited {seconds} s)")
                } else {
                    String::new()
                }
            ));
        }
        progress::report(
            rollout.updated.min(rollout.desired) as f64,
            Some(rollout.desired as f64),
            Some(&format!("{what}: {}", rollout.describe())),
        );
        let Some(remaining) = timeout
            .checked_sub(started.elapsed())
            .filter(|r| !r.is_zero())
        else {
            return CallResult::text(format!(
                "the rollout of {what} is still going after {seconds} s: {}. Ask again later{}",
                rollout.describe(),
                if as_task {
                    ""
                } else {
                    ", or use a client that supports tasks to wait longer"
                }
            ));
        };
        std::thread::sleep(POLL.min(remaining));
    }
}

fn history(args: HistoryArgs) -> CallResult {
    let workload = match Workload::of(&args.target.kind, &args.target.namespace, &args.target.name)
    {
        Ok(w) => w,
        Err(e) => return CallResult::error(e),
    };
    let (revisions, current) = match workload.revisions() {
        Ok(found) => found,
        Err(e) => return CallResult::error(e),
    };
    if let Some(number) = args.revision {
        return match revisions.iter().find(|r| r.number == number) {
            Some(r) => answer(r.detail(&workload, current), rows(&[r], current)),
            None => CallResult::error(revisions::not_found(number, &revisions)),
        };
    }
    if revisions.is_empty() {
        return answer(format!("{workload} has no recorded revisions"), Vec::new());
    }
    let mut text = format!("{workload}: {} revisions\n", revisions.len());
    let width = revisions
        .iter()
        .map(|r| r.source.len())
        .max()
        .unwrap_or(0)
        .max(6);
    text.push_str(&format!(
        "REVISION  {:<width$}  CHANGE-CAUSE / IMAGES\n",
        "SOURCE"
    ));
    for r in &revisions {
        let mark = if Some(r.number) == current {
            " (current)"
        } else {
            ""
        };
        let cause = r.change_cause.clone().unwrap_or_else(|| "<none>".into());
        text.push_str(&format!(
            "{:<8}  {:<width$}  {cause}; {}{mark}\n",
            r.number,
            r.source,
            r.images().join(", ")
        ));
    }
    answer(text, rows(&revisions.iter().collect::<Vec<_>>(), current))
}

/// The history's rows, as structured content.
fn rows(revisions: &[&Revision], current: Option<u64>) -> Vec<Value> {
    revisions
        .iter()
        .map(|r| {
            json!({
                "Revision": r.number,
                "Current": Some(r.number) == current,
                "Change Cause": r.change_cause.clone().unwrap_or_default(),
                "Images": r.images().join(", "),
                "Source": r.source,
                "Created": r.created,
            })
        })
        .collect()
}

/// `text` for the model, `rows` (the list output schema) for programs.
fn answer(text: String, rows: Vec<Value>) -> CallResult {
    let structured = json!({
        "columns": [
            {"name": "Revision", "type": "integer"},
            {"name": "Current", "type": "boolean"},
            {"name": "Change Cause", "type": "string"},
            {"name": "Images", "type": "string"},
            {"name": "Source", "type": "string"},
            {"name": "Created", "type": "string"},
        ],
        "rows": rows,
    });
    CallResult {
        content: vec![Content::text(text)],
        structured_content: Some(structured.to_string()),
        is_error: false,
    }
}

fn undo(args: UndoArgs) -> CallResult {
    let workload = match Workload::of(&args.target.kind, &args.target.namespace, &args.target.name)
    {
        Ok(w) => w,
        Err(e) => return CallResult::error(e),
    };
    let object = match workload.get() {
        Ok(object) => object,
        Err(e) => return CallResult::error(e),
    };
    if object.pointer("/spec/paused").and_then(Value::as_bool) == Some(true) {
        return CallResult::error(format!(
            "{workload} is paused: resume it before rolling it back; nothing was changed"
        ));
    }
    let (revisions, current) = match workload.revisions() {
        Ok(found) => found,
        Err(e) => return CallResult::error(e),
    };
    let target = match pick(&revisions, current, args.to_revision.filter(|r| *r != 0)) {
        Ok(target) => target,
        Err(e) => return CallResult::error(e),
    };
    let from = current.map_or("its current revision".into(), |c| format!("revision {c}"));
    let question = format!(
        "Roll {workload} back from {from} to revision {} ({})?",
        target.number,
        target.images().join(", ")
    );
    if let Some(refused) = confirm("kube-rollouts", args.dry_run, &question) {
        return refused;
    }
    let (patch_type, patch) = target.undo_patch(workload.kind, &object);
    let result = kubernetes::patch(
        &workload.object_ref(),
        patch_type,
        &patch.to_string(),
        &PatchOptions {
            dry_run: args.dry_run,
            subresource: None,
        },
    );
    match result {
        Ok(_) if args.dry_run => CallResult::text(format!(
            "dry run: {workload} would go back from {from} to revision {} ({}); nothing was changed",
            target.number,
            target.images().join(", ")
        )),
        Ok(_) => CallResult::text(format!(
            "{workload} rolled back from {from} to revision {} ({}); rollout_status follows the rollout",
            target.number,
            target.images().join(", ")
        )),
        Err(e) => CallResult::error(e.message()),
    }
}

/// The revision to go back to: `wanted`, or the newest before `current`.
fn pick(
    revisions: &[Revision],
    current: Option<u64>,
    wanted: Option<u64>,
) -> Result<&Revision, String> {
    match wanted {
        Some(number) if Some(number) == current => Err(format!(
            "revision {number} is the current one; nothing was changed"
        )),
        Some(number) => revisions
            .iter()
            .find(|r| r.number == number)
            .ok_or_else(|| revisions::not_found(number, revisions)),
        None => revisions
            .iter()
            .filter(|r| current.is_none_or(|c| r.number < c))
            .max_by_key(|r| r.number)
            .ok_or_else(|| {
                "there is no earlier revision to go back to; nothing was changed".into()
            }),
    }
}

/// The `ObjectRef` of a workload (used by `revisions`).
pub(crate) fn object_ref(kind: &str, namespace: &str, name: &str) -> ObjectRef {
    ObjectRef {
        type_: ResourceType::new(
            "apps/v1",
            revisions::resource_of(kind).unwrap_or("deployments"),
        ),
        namespace: Some(namespace.into()),
        name: name.into(),
    }
}

kube_mcp_plugin::export_plugin!(KubeRollouts);
