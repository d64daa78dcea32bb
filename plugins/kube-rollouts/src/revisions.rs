//! A workload's revisions: a Deployment's ReplicaSets, a StatefulSet's or
//! DaemonSet's ControllerRevisions, each with its number, change-cause and
//! pod template.

use std::fmt;

use kube_mcp_plugin::kubernetes::{self, ListOptions, ObjectRef, PatchType as Patch, ResourceType};
use serde_json::{Value, json};

/// The plural resource of a workload kind, if it has rollouts.
pub fn resource_of(kind: &str) -> Option<&'static str> {
    match kind {
        "Deployment" => Some("deployments"),
        "StatefulSet" => Some("statefulsets"),
        "DaemonSet" => Some("daemonsets"),
        _ => None,
    }
}

/// One workload with rollouts.
pub struct Workload {
    pub kind: &'static str,
    pub namespace: String,
    pub name: String,
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}/{}", self.kind, self.namespace, self.name)
    }
}

impl Workload {
    pub fn of(kind: &str, namespace: &str, name: &str) -> Result<Workload, String> {
        let kind = match kind {
            "Deployment" | "deployment" | "deployments" | "deploy" => "Deployment",
            "StatefulSet" | "statefulset" | "statefulsets" | "sts" => "StatefulSet",
            "DaemonSet" | "daemonset" | "daemonsets" | "ds" => "DaemonSet",
            other => {
                return Err(format!(
                    "{other} has no rollouts: use Deployment, StatefulSet or DaemonSet"
                ));
            }
        };
        if namespace.is_empty() || name.is_empty() {
            return Err("give the workload's namespace and name".into());
        }
        Ok(Workload {
            kind,
            namespace: namespace.into(),
            name: name.into(),
        })
    }

    pub fn object_ref(&self) -> ObjectRef {
        crate::object_ref(self.kind, &self.namespace, &self.name)
    }

    /// The workload as stored.
    pub fn get(&self) -> Result<Value, String> {
        let json = kubernetes::get(&self.object_ref()).map_err(|e| e.message())?;
        serde_json::from_str(&json).map_err(|e| e.to_string())
    }

    /// Its revisions, oldest first, and the number of the current one.
    pub fn revisions(&self) -> Result<(Vec<Revision>, Option<u64>), String> {
        let object = self.get()?;
        let uid = object
            .pointer("/metadata/uid")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let selector = selector_text(object.pointer("/spec/selector"));
        let (resource, of_item): (&str, fn(&Value) -> Option<Revision>) = match self.kind {
            "Deployment" => ("replicasets", Revision::of_replica_set),
            _ => ("controllerrevisions", Revision::of_controller_revision),
        };
        let list = kubernetes::list(
            &ResourceType::new("apps/v1", resource),
            &ListOptions {
                namespace: Some(self.namespace.clone()),
                label_selector: selector,
                limit: Some(500),
                ..ListOptions::default()
            },
        )
        .map_err(|e| e.message())?;
        let list: Value = serde_json::from_str(&list).map_err(|e| e.to_string())?;
        let mut revisions: Vec<Revision> = list
            .get("items")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|item| owned_by(item, uid))
            .filter_map(of_item)
            .collect();
        revisions.sort_by_key(|r| r.number);
        let current = match self.kind {
            "Deployment" => annotation(&object, "deployment.kubernetes.io/revision")
                .and_then(|r| r.parse().ok()),
            "StatefulSet" => object
                .pointer("/status/updateRevision")
                .and_then(Value::as_str)
                .and_then(|name| revisions.iter().find(|r| r.source == name))
                .map(|r| r.number),
            _ => revisions.iter().map(|r| r.number).max(),
        };
        Ok((revisions, current))
    }
}

/// One revision of a workload.
pub struct Revision {
    pub number: u64,
    /// The ReplicaSet or ControllerRevision that holds it.
    pub source: String,
    pub change_cause: Option<String>,
    pub created: String,
    /// The pod template of that revision.
    template: Value,
    /// A ControllerRevision's `data`: the patch that restores it.
    data: Option<Value>,
}

impl Revision {
    fn of_replica_set(rs: &Value) -> Option<Revision> {
        let number = annotation(rs, "deployment.kubernetes.io/revision")?
            .parse()
            .ok()?;
        let mut template = rs.pointer("/spec/template").cloned().unwrap_or_default();
        // The hash label belongs to the ReplicaSet, not to the template the
        // Deployment gets back (kubectl drops it too).
        if let Some(labels) = template
            .pointer_mut("/metadata/labels")
            .and_then(Value::as_object_mut)
        {
            labels.remove("pod-template-hash");
        }
        Some(Revision {
            number,
            source: name(rs),
            change_cause: annotation(rs, "kubernetes.io/change-cause").map(str::to_owned),
            created: created(rs),
            template,
            data: None,
        })
    }

    fn of_controller_revision(cr: &Value) -> Option<Revision> {
        let number = cr.get("revision").and_then(Value::as_u64)?;
        let data = cr.get("data").cloned().unwrap_or_default();
        Some(Revision {
            number,
            source: name(cr),
            change_cause: annotation(cr, "kubernetes.io/change-cause").map(str::to_owned),
            created: created(cr),
            template: data.pointer("/spec/template").cloned().unwrap_or_default(),
            data: Some(data),
        })
    }

    /// The images of its containers: `nginx=nginx:1.27`.
    pub fn images(&self) -> Vec<String> {
        self.template
            .pointer("/spec/containers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|c| {
                format!(
                    "{}={}",
                    c.get("name").and_then(Value::as_str).unwrap_or("?"),
                    c.get("image").and_then(Value::as_str).unwrap_or("?")
                )
            })
            .collect()
    }

    /// `kubectl rollout history --revision N`: the revision's pod template.
    pub fn detail(&self, workload: &Workload, current: Option<u64>) -> String {
        let mut text = format!(
            "{workload}, revision {}{} (from {}, created {})\n",
            self.number,
            if Some(self.number) == current {
                ", the current one"
            } else {
                ""
            },
            self.source,
            self.created
        );
        text.push_str(&format!(
            "Change cause: {}\n",
            self.change_cause.as_deref().unwrap_or("<none>")
        ));
        text.push_str("Pod template:\n");
        let yaml = serde_json::to_string_pretty(&self.template).unwrap_or_default();
        for line in yaml.lines() {
            text.push_str("  ");
            text.push_str(line);
            text.push('\n');
        }
        text
    }

    /// The patch that makes a workload of `kind` this revision again, as
    /// `kubectl rollout undo` makes it: a Deployment's template replaced
    /// whole (JSON Patch), a ControllerRevision's data applied (strategic).
    ///
    /// A Deployment also takes back the revision's change-cause (kubectl
    /// restores the ReplicaSet's annotations), so the history reads right.
    pub fn undo_patch(&self, kind: &str, current: &Value) -> (Patch, Value) {
        if let (Some(data), "StatefulSet" | "DaemonSet") = (&self.data, kind) {
            return (Patch::Strategic, data.clone());
        }
        let mut operations =
            vec![json!({"op": "replace", "path": "/spec/template", "value": self.template})];
        const CAUSE: &str = "/metadata/annotations/kubernetes.io~1change-cause";
        let has_annotations = current.pointer("/metadata/annotations").is_some();
        match &self.change_cause {
            Some(cause) if has_annotations => {
                operations.push(json!({"op": "add", "path": CAUSE, "value": cause}));
            }
            Some(cause) => operations.push(json!({"op": "add", "path": "/metadata/annotations",
                "value": {"kubernetes.io/change-cause": cause}})),
            None if current.pointer(CAUSE).is_some() => {
                operations.push(json!({"op": "remove", "path": CAUSE}));
            }
            None => {}
        }
        (Patch::Json, Value::Array(operations))
    }
}

/// `revision 7 not found: the revisions are 1, 2, 3`.
pub fn not_found(number: u64, revisions: &[Revision]) -> String {
    let known: Vec<String> = revisions.iter().map(|r| r.number.to_string()).collect();
    format!(
        "revision {number} not found: the revisions are {}; nothing was changed",
        if known.is_empty() {
            "none".into()
        } else {
            known.join(", ")
        }
    )
}

fn owned_by(item: &Value, uid: &str) -> bool {
    item.pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .is_some_and(|o| {
            o.iter()
                .any(|r| r.get("uid").and_then(Value::as_str) == Some(uid))
        })
}

fn annotation<'a>(object: &'a Value, key: &str) -> Option<&'a str> {
    object
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(key))
        .and_then(Value::as_str)
}

fn name(object: &Value) -> String {
    object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_owned()
}

fn created(object: &Value) -> String {
    object
        .pointer("/metadata/creationTimestamp")
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_owned()
}

/// `app=web` from a selector's `matchLabels` (expressions are left to the
/// owner check).
fn selector_text(selector: Option<&Value>) -> Option<String> {
    let labels = selector?.get("matchLabels")?.as_object()?;
    let parts: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
        .collect();
    (!parts.is_empty()).then(|| parts.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replica_set_is_a_revision_without_its_hash_label() {
        let rs = json!({
            "metadata": {"name": "web-5d4", "creationTimestamp": "2026-12-05T10:00:00Z",
                "annotations": {"deployment.kubernetes.io/revision": "2", "kubernetes.io/change-cause": "nginx 1.27"}},
            "spec": {"template": {"metadata": {"labels": {"app": "web", "pod-template-hash": "5d4"}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]}}}
        });
        let r = Revision::of_replica_set(&rs).unwrap();
        assert_eq!(r.number, 2);
        assert_eq!(r.images(), ["nginx=nginx:1.27"]);
        let current =
            json!({"metadata": {"annotations": {"kubernetes.io/change-cause": "nginx 1.28"}}});
        let (kind, patch) = r.undo_patch("Deployment", &current);
        assert!(matches!(kind, Patch::Json));
        assert_eq!(
            patch[0]["value"]["metadata"]["labels"],
            json!({"app": "web"})
        );
        assert_eq!(
            patch[1],
            json!({"op": "add", "path": "/metadata/annotations/kubernetes.io~1change-cause", "value": "nginx 1.27"})
        );
    }

    #[test]
    fn a_controller_revision_restores_with_its_data() {
        let cr = json!({"metadata": {"name": "db-7f"}, "revision": 3,
            "data": {"spec": {"template": {"$patch": "replace", "spec": {"containers": [{"name": "db", "image": "pg:16"}]}}}}});
        let r = Revision::of_controller_revision(&cr).unwrap();
        assert_eq!(r.images(), ["db=pg:16"]);
        let (kind, patch) = r.undo_patch("StatefulSet", &json!({}));
        assert!(matches!(kind, Patch::Strategic));
        assert_eq!(patch["spec"]["template"]["$patch"], "replace");
    }
}
