//! `resources_describe`: what `kubectl describe` tells a person about one
//! object of any kind, as compact text within the answer budget.
//!
//! Every kind gets its identity, labels and annotations (trimmed), its owner
//! chain, the highlights of its spec, its status with conditions, and its
//! recent events, deduplicated with counts. Pods, nodes and the workload
//! kinds get what an operator looks at first: container states and last
//! terminations; capacity, taints and the pods on a node; replicas, the
//! ReplicaSets and pods a workload owns. Reads that fail after the object
//! itself (events, owners, owned objects) are noted in their section, not
//! fatal: the rest is still worth reading.

mod events;
mod node;
mod pod;
pub mod text;
mod time;
mod workload;

use kube_mcp_plugin::find_resource;
use kube_mcp_plugin::kubernetes::{self, ApiResource, ListOptions, ObjectRef, ResourceType};
use serde_json::Value;

pub use text::Doc;
use text::{scalar, str_at};

/// What the describe text may take at most: below the server's default
/// answer budget (32 KiB), with room for the tool's framing.
const BUDGET: usize = 30 * 1024;

/// The object being described and what is known about its kind.
pub struct Subject {
    pub resource: ApiResource,
    pub object: Value,
    pub now: i64,
}

impl Subject {
    pub fn kind(&self) -> &str {
        &self.resource.kind
    }

    pub fn name(&self) -> &str {
        str_at(&self.object, "/metadata/name").unwrap_or_default()
    }

    pub fn namespace(&self) -> Option<&str> {
        str_at(&self.object, "/metadata/namespace")
    }

    pub fn uid(&self) -> Option<&str> {
        str_at(&self.object, "/metadata/uid")
    }

    /// The age of the time at `pointer` in the object, `<unknown>` if absent.
    pub fn age_at(&self, pointer: &str) -> String {
        self.age(str_at(&self.object, pointer))
    }

    /// The age of the time at `pointer` in another object.
    pub fn age_at_of(&self, other: &Value, pointer: &str) -> String {
        self.age(str_at(other, pointer))
    }

    pub fn age(&self, timestamp: Option<&str>) -> String {
        timestamp
            .and_then(|t| time::age(t, self.now))
            .unwrap_or_else(|| "<unknown>".into())
    }
}

/// Describes object `name` of `kind` in `api_version`; the error is a
/// message for the model.
pub fn describe(
    api_version: &str,
    kind: &str,
    namespace: Option<String>,
    name: String,
) -> Result<String, String> {
    let resources = kubernetes::api_resources().map_err(|e| e.message())?;
    let resource = find_resource(&resources, api_version, kind)
        .cloned()
        .ok_or_else(|| {
            format!(
                "the cluster has no kind '{kind}' in apiVersion '{api_version}' \
             (api_resources_list shows what it has)"
            )
        })?;
    let namespace = if resource.namespaced {
        Some(
            namespace
                .filter(|n| !n.is_empty())
                .ok_or_else(|| format!("{} is namespaced: give its namespace", resource.kind))?,
        )
    } else {
        None
    };
    let object = kubernetes::get(&ObjectRef {
        type_: resource.type_.clone(),
        namespace,
        name,
    })
    .map_err(|e| e.message())?;
    let object: Value = serde_json::from_str(&object).map_err(|e| e.to_string())?;
    let subject = Subject {
        resource,
        object,
        now: time::now(),
    };
    Ok(render(&subject, &resources))
}

/// The whole describe of `subject`.
pub fn render(subject: &Subject, resources: &[ApiResource]) -> String {
    let mut doc = Doc::default();
    identity(&mut doc, subject);
    owners(&mut doc, subject, resources);
    match (subject.resource.type_.group.as_str(), subject.kind()) {
        ("", "Pod") => pod::describe(&mut doc, subject),
        ("", "Node") => node::describe(&mut doc, subject),
        ("apps", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet") | ("batch", "Job") => {
            workload::describe(&mut doc, subject)
        }
        _ => generic(&mut doc, subject),
    }
    events::describe(&mut doc, subject);
    doc.finish(BUDGET)
}

/// Name, namespace, kind, age, labels, annotations, deletion.
fn identity(doc: &mut Doc, s: &Subject) {
    doc.field("Name", s.name());
    doc.field_opt("Namespace", s.namespace());
    doc.field(
        "Kind",
        format!("{} ({})", s.kind(), s.resource.type_.api_version()),
    );
    doc.field(
        "Created",
        format!(
            "{} ago ({})",
            s.age_at("/metadata/creationTimestamp"),
            str_at(&s.object, "/metadata/creationTimestamp").unwrap_or("?")
        ),
    );
    doc.map("Labels", s.object.pointer("/metadata/labels"));
    doc.map("Annotations", s.object.pointer("/metadata/annotations"));
    if let Some(since) = str_at(&s.object, "/metadata/deletionTimestamp") {
        let finalizers = s
            .object
            .pointer("/metadata/finalizers")
            .map(scalar)
            .unwrap_or_else(|| "none".into());
        doc.field(
            "Deleting",
            format!("since {} ago, finalizers: {finalizers}", s.age(Some(since))),
        );
    }
}

/// The chain of controllers above the object: `ReplicaSet web-5d4 <-
/// Deployment web`.
fn owners(doc: &mut Doc, s: &Subject, resources: &[ApiResource]) {
    let mut chain = Vec::new();
    let mut current = s.object.clone();
    // A chain is short (pod, ReplicaSet, Deployment); the bound guards
    // against a cycle of owner references.
    for _ in 0..5 {
        let Some(owner) = controller_of(&current) else {
            break;
        };
        let kind = str_at(&owner, "/kind").unwrap_or("?").to_owned();
        let name = str_at(&owner, "/name").unwrap_or("?").to_owned();
        chain.push(format!("{kind} {name}"));
        let api_version = str_at(&owner, "/apiVersion").unwrap_or("v1");
        let Some(resource) = find_resource(resources, api_version, &kind).cloned() else {
            break;
        };
        let parent = kubernetes::get(&ObjectRef {
            type_: resource.type_,
            namespace: resource
                .namespaced
                .then(|| s.namespace().unwrap_or_default().to_owned()),
            name,
        });
        match parent.ok().and_then(|p| serde_json::from_str(&p).ok()) {
            Some(parent) => current = parent,
            None => break,
        }
    }
    if !chain.is_empty() {
        doc.field("Controlled By", chain.join(" <- "));
    }
}

/// The owner reference marked `controller`, else the first.
fn controller_of(object: &Value) -> Option<Value> {
    let owners = object.pointer("/metadata/ownerReferences")?.as_array()?;
    owners
        .iter()
        .find(|o| o.get("controller").and_then(Value::as_bool) == Some(true))
        .or_else(|| owners.first())
        .cloned()
}

/// Any other kind, custom resources included: the top level of its spec,
/// its status's scalars and its conditions.
fn generic(doc: &mut Doc, s: &Subject) {
    for (title, key) in [("Spec", "spec"), ("Status", "status")] {
        let Some(fields) = s.object.get(key).and_then(Value::as_object) else {
            continue;
        };
        let shown: Vec<(&String, &Value)> = fields
            .iter()
            .filter(|(k, _)| k.as_str() != "conditions")
            .collect();
        if !shown.is_empty() {
            doc.section(title);
            for (k, v) in shown.iter().take(30) {
                doc.line(1, &format!("{k}: {}", scalar(v)));
            }
        }
    }
    // Data-holding kinds (ConfigMaps) show their keys, never their values.
    for key in ["data", "binaryData", "stringData"] {
        if let Some(data) = s.object.get(key).and_then(Value::as_object) {
            let keys: Vec<String> = data
                .iter()
                .map(|(k, v)| format!("{k} ({} bytes)", v.as_str().map_or(0, str::len)))
                .collect();
            doc.field(
                &format!("Data keys ({key})"),
                if keys.is_empty() {
                    "<none>".into()
                } else {
                    keys.join(", ")
                },
            );
        }
    }
    conditions(doc, s, s.object.pointer("/status/conditions"));
}

/// The conditions table: type, status, reason, age, message.
pub fn conditions(doc: &mut Doc, s: &Subject, conditions: Option<&Value>) {
    let Some(conditions) = conditions
        .and_then(Value::as_array)
        .filter(|c| !c.is_empty())
    else {
        return;
    };
    doc.section("Conditions");
    let rows: Vec<Vec<String>> = conditions
        .iter()
        .map(|c| {
            let when = str_at(c, "/lastTransitionTime").or(str_at(c, "/lastHeartbeatTime"));
            vec![
                str_at(c, "/type").unwrap_or("?").to_owned(),
                str_at(c, "/status").unwrap_or("?").to_owned(),
                str_at(c, "/reason")
                    .filter(|r| !r.is_empty())
                    .unwrap_or("-")
                    .to_owned(),
                s.age(when),
                text::trim(
                    &text::one_line(str_at(c, "/message").unwrap_or_default()),
                    120,
                ),
            ]
        })
        .collect();
    doc.table(&["TYPE", "STATUS", "REASON", "AGE", "MESSAGE"], &rows);
}

/// Objects of `resource` in the subject's namespace matching `selector`
/// and owned by the subject (its uid in their owner references); the error
/// is a line for the section.
pub fn owned(
    s: &Subject,
    api_version: &str,
    resource: &str,
    selector: Option<String>,
) -> Result<Vec<Value>, String> {
    let uid = s.uid().unwrap_or_default();
    Ok(list_in_namespace(s, api_version, resource, selector)?
        .into_iter()
        .filter(|item| {
            item.pointer("/metadata/ownerReferences")
                .and_then(Value::as_array)
                .is_some_and(|o| o.iter().any(|r| str_at(r, "/uid") == Some(uid)))
        })
        .collect())
}

/// Objects of `resource` in the subject's namespace matching `selector`
/// (the first 500).
pub fn list_in_namespace(
    s: &Subject,
    api_version: &str,
    resource: &str,
    selector: Option<String>,
) -> Result<Vec<Value>, String> {
    let list = kubernetes::list(
        &ResourceType::new(api_version, resource),
        &ListOptions {
            namespace: s.namespace().map(str::to_owned),
            label_selector: selector,
            limit: Some(500),
            ..ListOptions::default()
        },
    )
    .map_err(|e| e.message())?;
    let mut list: Value = serde_json::from_str(&list).map_err(|e| e.to_string())?;
    Ok(match list.get_mut("items").map(Value::take) {
        Some(Value::Array(items)) => items,
        _ => Vec::new(),
    })
}

/// A label selector's text form (`app=web,tier in (a,b)`), from
/// `matchLabels` and `matchExpressions`.
pub fn selector_text(selector: Option<&Value>) -> Option<String> {
    let selector = selector?;
    let mut parts: Vec<String> = selector
        .get("matchLabels")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
        .collect();
    for e in selector
        .get("matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let key = str_at(e, "/key").unwrap_or_default();
        let values = || {
            e.get("values")
                .and_then(Value::as_array)
                .map(|v| {
                    v.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .unwrap_or_default()
        };
        parts.push(match str_at(e, "/operator").unwrap_or_default() {
            "In" => format!("{key} in ({})", values()),
            "NotIn" => format!("{key} notin ({})", values()),
            "Exists" => key.to_owned(),
            "DoesNotExist" => format!("!{key}"),
            _ => continue,
        });
    }
    (!parts.is_empty()).then(|| parts.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selectors_read_as_kubectl_writes_them() {
        let selector = json!({
            "matchLabels": {"app": "web"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["a", "b"]},
                {"key": "canary", "operator": "DoesNotExist"}
            ]
        });
        assert_eq!(
            selector_text(Some(&selector)).unwrap(),
            "app=web,tier in (a,b),!canary"
        );
        assert_eq!(selector_text(Some(&json!({}))), None);
    }
}
