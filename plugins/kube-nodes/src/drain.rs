//! `nodes_drain`: cordon, then evict every pod that should go, through the
//! Eviction API, until they are gone or the time is up.

use std::time::{Duration, Instant};

use kube_mcp_plugin::kubernetes::{self, Error, ListOptions, ObjectRef, ResourceType};
use kube_mcp_plugin::progress;
use kube_mcp_plugin::types::CallResult;
use kube_mcp_plugin::{Wait, begin_wait};
use kube_mcp_plugin::{confirm, kubernetes::ApiStatus};
use serde_json::{Value, json};

use crate::{DrainArgs, PLUGIN, node, patch_unschedulable};

/// How long to wait before asking again for an eviction a budget refused
/// (kubectl waits 5 s).
const RETRY_BLOCKED: Duration = Duration::from_secs(5);
const POLL: Duration = Duration::from_secs(1);

/// What a drain does with one pod.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Disposition {
    Evict,
    /// Its DaemonSet would put it straight back (and tolerates the cordon).
    SkipDaemonSet,
    /// The kubelet's own copy of a static pod: it cannot be evicted.
    SkipMirror,
    /// Succeeded or Failed: nothing runs.
    SkipFinished,
    /// No controller would recreate it: evicted only with `force`.
    Unmanaged,
    /// Its `emptyDir` data would be lost: evicted only with
    /// `deleteEmptyDirData`.
    LocalData,
}

#[derive(Debug, Clone)]
struct PodOnNode {
    namespace: String,
    name: String,
    uid: String,
    disposition: Disposition,
}

impl PodOnNode {
    fn id(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

fn classify(pod: &Value) -> PodOnNode {
    let text = |p: &str| {
        pod.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let controller = pod
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .and_then(|o| {
            o.iter()
                .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
        });
    let phase = text("/status/phase");
    let disposition = if pod
        .pointer("/metadata/annotations/kubernetes.io~1config.mirror")
        .is_some()
    {
        Disposition::SkipMirror
    } else if phase == "Succeeded" || phase == "Failed" {
        Disposition::SkipFinished
    } else if controller
        .and_then(|c| c.get("kind"))
        .and_then(Value::as_str)
        == Some("DaemonSet")
    {
        Disposition::SkipDaemonSet
    } else if controller.is_none() {
        Disposition::Unmanaged
    } else if pod
        .pointer("/spec/volumes")
        .and_then(Value::as_array)
        .is_some_and(|v| v.iter().any(|v| v.get("emptyDir").is_some()))
    {
        Disposition::LocalData
    } else {
        Disposition::Evict
    };
    PodOnNode {
        namespace: text("/metadata/namespace"),
        name: text("/metadata/name"),
        uid: text("/metadata/uid"),
        disposition,
    }
}

/// The pods on node `name` (every namespace).
fn pods_on(name: &str) -> Result<Vec<PodOnNode>, String> {
    let mut pods = Vec::new();
    let mut token = None;
    loop {
        let list = kubernetes::list(
            &ResourceType::new("v1", "pods"),
            &ListOptions {
                namespace: None,
                field_selector: Some(format!("spec.nodeName={name}")),
                limit: Some(500),
                continue_token: token.take(),
                ..ListOptions::default()
            },
        )
        .map_err(|e| e.message())?;
        let list: Value = serde_json::from_str(&list).map_err(|e| e.to_string())?;
        pods.extend(
            list.get("items")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(classify),
        );
        match list.pointer("/metadata/continue").and_then(Value::as_str) {
            Some(t) if !t.is_empty() => token = Some(t.to_owned()),
            _ => return Ok(pods),
        }
    }
}

fn ids(pods: &[&PodOnNode]) -> String {
    pods.iter().map(|p| p.id()).collect::<Vec<_>>().join(", ")
}

pub fn drain(args: DrainArgs) -> CallResult {
    if let Err(e) = kubernetes::get(&node(&args.name)) {
        return CallResult::error(match e {
            Error::NotFound(_) => format!("node {} not found; nothing was changed", args.name),
            other => other.message(),
        });
    }
    let pods = match pods_on(&args.name) {
        Ok(pods) => pods,
        Err(e) => return CallResult::error(e),
    };
    let with = |d: Disposition| {
        pods.iter()
            .filter(|p| p.disposition == d)
            .collect::<Vec<_>>()
    };
    let (unmanaged, local) = (with(Disposition::Unmanaged), with(Disposition::LocalData));
    let mut refusals = Vec::new();
    if !unmanaged.is_empty() && !args.force {
        refusals.push(format!(
            "{} pod(s) have no controller and would not come back: {} (force: true evicts them)",
            unmanaged.len(),
            ids(&unmanaged)
        ));
    }
    if !local.is_empty() && !args.delete_empty_dir_data {
        refusals.push(format!(
            "{} pod(s) keep data in emptyDir volumes that would be lost: {} (deleteEmptyDirData: true evicts them)",
            local.len(),
            ids(&local)
        ));
    }
    if !refusals.is_empty() {
        return CallResult::error(format!(
            "cannot drain node {}: {}; nothing was changed",
            args.name,
            refusals.join("; ")
        ));
    }
    let to_evict: Vec<PodOnNode> = pods
        .iter()
        .filter(|p| {
            matches!(
                p.disposition,
                Disposition::Evict | Disposition::Unmanaged | Disposition::LocalData
            )
        })
        .cloned()
        .collect();
    let skipped = skipped_text(&pods);
    let plan = format!(
        "cordon node {} and evict {} pod(s){}{}",
        args.name,
        to_evict.len(),
        if to_evict.is_empty() {
            String::new()
        } else {
            format!(" ({})", ids(&to_evict.iter().collect::<Vec<_>>()))
        },
        skipped
    );
    if args.dry_run {
        return CallResult::text(format!("dry run: would {plan}; nothing was changed"));
    }
    if let Some(refused) = confirm(PLUGIN, false, &format!("Drain node {}: {plan}?", args.name)) {
        return refused;
    }
    if let Err(e) = patch_unschedulable(&args.name, true, false) {
        return CallResult::error(format!(
            "cordoning node {} failed: {e}; nothing was changed",
            args.name
        ));
    }
    let Wait { timeout, .. } = begin_wait(args.timeout_seconds);
    evict_all(&args, to_evict, timeout, &skipped)
}

/// `; skip 2 (DaemonSet: ops/agent-x; mirror: ...)` or nothing.
fn skipped_text(pods: &[PodOnNode]) -> String {
    let mut parts = Vec::new();
    for (d, label) in [
        (Disposition::SkipDaemonSet, "DaemonSet"),
        (Disposition::SkipMirror, "mirror"),
        (Disposition::SkipFinished, "finished"),
    ] {
        let these: Vec<&PodOnNode> = pods.iter().filter(|p| p.disposition == d).collect();
        if !these.is_empty() {
            parts.push(format!("{label}: {}", ids(&these)));
        }
    }
    if parts.is_empty() {
        String::new()
    } else {
        let n: usize = pods
            .iter()
            .filter(|p| {
                matches!(
                    p.disposition,
                    Disposition::SkipDaemonSet
                        | Disposition::SkipMirror
                        | Disposition::SkipFinished
                )
            })
            .count();
        format!("; skip {n} ({})", parts.join("; "))
    }
}

/// What asking to evict one pod came to.
enum Eviction {
    Accepted,
    /// A PodDisruptionBudget refused it (429), with the API's message.
    Blocked(String),
    Gone,
}

fn evict(pod: &PodOnNode, grace: Option<u32>) -> Result<Eviction, String> {
    let mut body = json!({
        "apiVersion": "policy/v1",
        "kind": "Eviction",
        "metadata": {"name": pod.name, "namespace": pod.namespace},
    });
    if let Some(seconds) = grace {
        body["deleteOptions"] = json!({"gracePeriodSeconds": seconds});
    }
    let object = ObjectRef {
        type_: ResourceType::new("v1", "pods"),
        namespace: Some(pod.namespace.clone()),
        name: pod.name.clone(),
    };
    match kubernetes::create_subresource(&object, "eviction", &body.to_string(), false) {
        Ok(_) => Ok(Eviction::Accepted),
        Err(Error::Other(ApiStatus {
            code: 429, message, ..
        })) => Ok(Eviction::Blocked(message)),
        Err(Error::NotFound(_)) => Ok(Eviction::Gone),
        Err(e) => Err(e.message()),
    }
}

/// Whether `pod` is gone (deleted, or replaced by a namesake).
fn gone(pod: &PodOnNode) -> Result<bool, String> {
    let object = ObjectRef {
        type_: ResourceType::new("v1", "pods"),
        namespace: Some(pod.namespace.clone()),
        name: pod.name.clone(),
    };
    match kubernetes::get(&object) {
        Ok(json) => {
            let value: Value = serde_json::from_str(&json).unwrap_or_default();
            Ok(value.pointer("/metadata/uid").and_then(Value::as_str) != Some(pod.uid.as_str()))
        }
        Err(Error::NotFound(_)) => Ok(true),
        Err(e) => Err(e.message()),
    }
}

fn evict_all(
    args: &DrainArgs,
    pods: Vec<PodOnNode>,
    timeout: Duration,
    skipped: &str,
) -> CallResult {
    let started = Instant::now();
    let total = pods.len();
    let mut pending = pods;
    let mut leaving: Vec<PodOnNode> = Vec::new();
    let mut evicted: Vec<String> = Vec::new();
    // The last refusal of each pod a budget held back, and since when.
    let mut held: Vec<(String, String, Instant)> = Vec::new();
    loop {
        let mut still = Vec::new();
        for pod in pending.drain(..) {
            match evict(&pod, args.grace_period_seconds) {
                Ok(Eviction::Accepted) => {
                    evicted.push(pod.id());
                    held.retain(|(id, _, _)| *id != pod.id());
                    leaving.push(pod);
                }
                Ok(Eviction::Gone) => evicted.push(pod.id()),
                Ok(Eviction::Blocked(message)) => {
                    match held.iter_mut().find(|(id, _, _)| *id == pod.id()) {
                        Some(entry) => entry.1 = message,
                        None => held.push((pod.id(), message, Instant::now())),
                    }
                    still.push(pod);
                }
                Err(e) => {
                    return CallResult::error(format!(
                        "evicting {} failed: {e}; node {} stays cordoned, {} pod(s) evicted so far",
                        pod.id(),
                        args.name,
                        evicted.len()
                    ));
                }
            }
        }
        pending = still;
        let mut left = Vec::new();
        for pod in leaving.drain(..) {
            match gone(&pod) {
                Ok(true) => {}
                Ok(false) => left.push(pod),
                Err(e) => return CallResult::error(format!("checking {}: {e}", pod.id())),
            }
        }
        leaving = left;
        let seconds = started.elapsed().as_secs();
        let blocked_text = || {
            held.iter()
                .filter(|(id, _, _)| pending.iter().any(|p| p.id() == *id))
                .map(|(id, message, since)| {
                    format!("{id} for {} s ({message})", since.elapsed().as_secs())
                })
                .collect::<Vec<_>>()
                .join("; ")
        };
        if pending.is_empty() && leaving.is_empty() {
            return CallResult::text(format!(
                "node {} drained in {seconds} s: {} pod(s) evicted{}{}",
                args.name,
                evicted.len(),
                if evicted.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", evicted.join(", "))
                },
                skipped
            ));
        }
        let done = total - pending.len() - leaving.len();
        let mut status = format!("{done} of {total} pods gone");
        if !pending.is_empty() {
            status.push_str(&format!(
                "; held back by a PodDisruptionBudget: {}",
                blocked_text()
            ));
        }
        progress::report(done as f64, Some(total as f64), Some(&status));
        let Some(remaining) = timeout
            .checked_sub(started.elapsed())
            .filter(|r| !r.is_zero())
        else {
            return CallResult::error(format!(
                "node {} is cordoned but not drained after {seconds} s: {status}{}. \
                 Nothing was forced: run nodes_drain again to go on once the budget allows",
                args.name,
                if leaving.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; still stopping: {}",
                        ids(&leaving.iter().collect::<Vec<_>>())
                    )
                }
            ));
        };
        // Never past the timeout: the last round runs at it.
        let pause = if pending.is_empty() {
            POLL
        } else {
            RETRY_BLOCKED
        };
        std::thread::sleep(pause.min(remaining));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pods_are_skipped_or_held_as_kubectl_does() {
        let owned =
            |kind: &str| json!([{"kind": kind, "name": "x", "uid": "u", "controller": true}]);
        let of = |pod: Value| classify(&pod).disposition;
        assert_eq!(
            of(json!({"metadata": {"ownerReferences": owned("ReplicaSet")}})),
            Disposition::Evict
        );
        assert_eq!(
            of(json!({"metadata": {"ownerReferences": owned("DaemonSet")}})),
            Disposition::SkipDaemonSet
        );
        assert_eq!(
            of(json!({"metadata": {"annotations": {"kubernetes.io/config.mirror": "abc"}}})),
            Disposition::SkipMirror
        );
        assert_eq!(of(json!({"metadata": {}})), Disposition::Unmanaged);
        assert_eq!(
            of(
                json!({"metadata": {"ownerReferences": owned("ReplicaSet")}, "spec": {"volumes": [{"name": "t", "emptyDir": {}}]}})
            ),
            Disposition::LocalData
        );
        assert_eq!(
            of(
                json!({"metadata": {"ownerReferences": owned("Job")}, "status": {"phase": "Succeeded"}})
            ),
            Disposition::SkipFinished
        );
    }
}
