//! Deployments, StatefulSets, DaemonSets, ReplicaSets and Jobs: replicas,
//! strategy, selector, the pod template, conditions, and what they own (a
//! Deployment's ReplicaSets with their revisions; the pods).

use serde_json::Value;

use super::text::{Doc, scalar, str_at};
use super::{Subject, conditions, owned, selector_text};

/// At most this many owned objects are listed one by one.
const OWNED_SHOWN: usize = 30;

pub fn describe(doc: &mut Doc, s: &Subject) {
    let o = &s.object;
    let selector = selector_text(o.pointer("/spec/selector"));
    doc.field(
        "Selector",
        selector.clone().unwrap_or_else(|| "<none>".into()),
    );
    replicas(doc, s);
    if let Some(strategy) = o
        .pointer("/spec/strategy")
        .or(o.pointer("/spec/updateStrategy"))
    {
        let mut text = str_at(strategy, "/type").unwrap_or("?").to_owned();
        if let Some(ru) = strategy.get("rollingUpdate").and_then(Value::as_object) {
            let parts: Vec<String> = ru
                .iter()
                .map(|(k, v)| format!("{k}={}", scalar(v)))
                .collect();
            text.push_str(&format!(" ({})", parts.join(", ")));
        }
        doc.field("Strategy", text);
    }
    if let Some(template) = o.pointer("/spec/template") {
        doc.section("Pod Template");
        if let Some(labels) = template
            .pointer("/metadata/labels")
            .and_then(Value::as_object)
        {
            let labels: Vec<String> = labels
                .iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect();
            doc.line(1, &format!("Labels: {}", labels.join(", ")));
        }
        for c in template
            .pointer("/spec/containers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let mut line = format!(
                "{}: {}",
                str_at(c, "/name").unwrap_or("?"),
                str_at(c, "/image").unwrap_or("?")
            );
            if let Some(requests) = c.pointer("/resources/requests").and_then(Value::as_object) {
                let r: Vec<String> = requests
                    .iter()
                    .map(|(k, v)| format!("{k}={}", scalar(v)))
                    .collect();
                line.push_str(&format!(" (requests {})", r.join(", ")));
            }
            doc.line(1, &line);
        }
    }
    conditions(doc, s, o.pointer("/status/conditions"));
    if s.kind() == "Deployment" {
        replica_sets(doc, s, selector.clone());
    }
    pods(doc, s, selector);
}

/// The replica counts the controller reports, as one line.
fn replicas(doc: &mut Doc, s: &Subject) {
    let o = &s.object;
    let n = |p: &str| o.pointer(p).and_then(Value::as_u64).unwrap_or(0);
    let line = match s.kind() {
        "DaemonSet" => format!(
            "{} desired, {} current, {} ready, {} up-to-date, {} available",
            n("/status/desiredNumberScheduled"),
            n("/status/currentNumberScheduled"),
            n("/status/numberReady"),
            n("/status/updatedNumberScheduled"),
            n("/status/numberAvailable")
        ),
        "Job" => format!(
            "{} active, {} succeeded, {} failed (completions {}, parallelism {})",
            n("/status/active"),
            n("/status/succeeded"),
            n("/status/failed"),
            o.pointer("/spec/completions")
                .map(scalar)
                .unwrap_or_else(|| "1".into()),
            o.pointer("/spec/parallelism")
                .map(scalar)
                .unwrap_or_else(|| "1".into())
        ),
        _ => format!(
            "{} desired, {} updated, {} total, {} ready, {} available",
            o.pointer("/spec/replicas")
                .map(scalar)
                .unwrap_or_else(|| "1".into()),
            n("/status/updatedReplicas"),
            n("/status/replicas"),
            n("/status/readyReplicas"),
            n("/status/availableReplicas")
        ),
    };
    doc.field("Replicas", line);
}

/// A Deployment's ReplicaSets, newest revision first.
fn replica_sets(doc: &mut Doc, s: &Subject, selector: Option<String>) {
    let sets = match owned(s, "apps/v1", "replicasets", selector) {
        Ok(sets) => sets,
        Err(why) => {
            doc.field("ReplicaSets", format!("<not listed: {why}>"));
            return;
        }
    };
    let revision = |rs: &Value| -> u64 {
        str_at(
            rs,
            "/metadata/annotations/deployment.kubernetes.io~1revision",
        )
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
    };
    let mut sets = sets;
    sets.sort_by_key(|rs| std::cmp::Reverse(revision(rs)));
    doc.section(&format!("ReplicaSets ({})", sets.len()));
    let n = |rs: &Value, p: &str| {
        rs.pointer(p)
            .and_then(Value::as_u64)
            .unwrap_or(0)
            .to_string()
    };
    let rows: Vec<Vec<String>> = sets
        .iter()
        .take(OWNED_SHOWN)
        .map(|rs| {
            vec![
                str_at(rs, "/metadata/name").unwrap_or("?").to_owned(),
                revision(rs).to_string(),
                n(rs, "/spec/replicas"),
                n(rs, "/status/readyReplicas"),
                s.age_at_of(rs, "/metadata/creationTimestamp"),
            ]
        })
        .collect();
    doc.table(&["NAME", "REVISION", "DESIRED", "READY", "AGE"], &rows);
}

/// The pods the workload owns (for a Deployment: through its ReplicaSets,
/// matched by its selector).
fn pods(doc: &mut Doc, s: &Subject, selector: Option<String>) {
    let pods = if s.kind() == "Deployment" {
        // Pods belong to the ReplicaSets, not to the Deployment: its
        // selector finds them, and their owner must be one of its sets.
        owned(s, "apps/v1", "replicasets", selector.clone()).and_then(|sets| {
            let uids: Vec<&str> = sets
                .iter()
                .filter_map(|rs| str_at(rs, "/metadata/uid"))
                .collect();
            super::list_in_namespace(s, "v1", "pods", selector).map(|pods| {
                pods.into_iter()
                    .filter(|p| {
                        p.pointer("/metadata/ownerReferences")
                            .and_then(Value::as_array)
                            .is_some_and(|o| {
                                o.iter()
                                    .any(|r| str_at(r, "/uid").is_some_and(|u| uids.contains(&u)))
                            })
                    })
                    .collect::<Vec<_>>()
            })
        })
    } else {
        owned(s, "v1", "pods", selector)
    };
    let pods = match pods {
        Ok(pods) => pods,
        Err(why) => {
            doc.field("Pods", format!("<not listed: {why}>"));
            return;
        }
    };
    doc.section(&format!("Pods ({})", pods.len()));
    let rows: Vec<Vec<String>> = pods
        .iter()
        .take(OWNED_SHOWN)
        .map(|p| pod_row(s, p))
        .collect();
    if !rows.is_empty() {
        doc.table(
            &["NAME", "READY", "STATUS", "RESTARTS", "NODE", "AGE"],
            &rows,
        );
    }
    if pods.len() > rows.len() {
        doc.line(1, &format!("... {} more", pods.len() - rows.len()));
    }
}

/// A pod as `kubectl get pods` shows it: ready count, status (a waiting
/// container's reason first), restarts.
pub fn pod_row(s: &Subject, p: &Value) -> Vec<String> {
    let statuses: Vec<Value> = p
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let ready = statuses
        .iter()
        .filter(|c| c.get("ready").and_then(Value::as_bool) == Some(true))
        .count();
    let total = p
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let restarts: u64 = statuses
        .iter()
        .filter_map(|c| c.get("restartCount").and_then(Value::as_u64))
        .sum();
    let status = statuses
        .iter()
        .find_map(|c| str_at(c, "/state/waiting/reason").or(str_at(c, "/state/terminated/reason")))
        .or(str_at(p, "/status/reason"))
        .or(str_at(p, "/status/phase"))
        .unwrap_or("Unknown");
    vec![
        str_at(p, "/metadata/name").unwrap_or("?").to_owned(),
        format!("{ready}/{total}"),
        status.to_owned(),
        restarts.to_string(),
        str_at(p, "/spec/nodeName").unwrap_or("<none>").to_owned(),
        s.age_at_of(p, "/metadata/creationTimestamp"),
    ]
}
