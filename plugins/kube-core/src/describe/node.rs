//! A node: conditions, addresses, capacity and allocatable, taints, and the
//! pods on it with their requests against what it can allocate.

use kube_mcp_plugin::kubernetes::{self, ListOptions, ResourceType};
use serde_json::Value;

use super::text::{Doc, scalar, str_at};
use super::{Subject, conditions};
use crate::quantity;

/// At most this many pods are listed one by one; the totals count all.
const PODS_SHOWN: usize = 120;

pub fn describe(doc: &mut Doc, s: &Subject) {
    let node = &s.object;
    if node.pointer("/spec/unschedulable").and_then(Value::as_bool) == Some(true) {
        doc.field("Unschedulable", "true (cordoned)");
    }
    let taints: Vec<String> = node
        .pointer("/spec/taints")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|t| {
            let mut text = str_at(t, "/key").unwrap_or("?").to_owned();
            if let Some(v) = str_at(t, "/value") {
                text.push_str(&format!("={v}"));
            }
            format!("{text}:{}", str_at(t, "/effect").unwrap_or("?"))
        })
        .collect();
    doc.field(
        "Taints",
        if taints.is_empty() {
            "<none>".into()
        } else {
            taints.join(", ")
        },
    );
    if let Some(addresses) = node.pointer("/status/addresses").and_then(Value::as_array) {
        let addresses: Vec<String> = addresses
            .iter()
            .map(|a| {
                format!(
                    "{}={}",
                    str_at(a, "/type").unwrap_or("?"),
                    str_at(a, "/address").unwrap_or("?")
                )
            })
            .collect();
        doc.field("Addresses", addresses.join(", "));
    }
    if let Some(info) = node.pointer("/status/nodeInfo") {
        doc.field(
            "System",
            format!(
                "kubelet {}, {} {}, {}, runtime {}",
                str_at(info, "/kubeletVersion").unwrap_or("?"),
                str_at(info, "/operatingSystem").unwrap_or("?"),
                str_at(info, "/architecture").unwrap_or("?"),
                str_at(info, "/osImage")
                    .filter(|o| !o.is_empty())
                    .unwrap_or("?"),
                str_at(info, "/containerRuntimeVersion")
                    .filter(|o| !o.is_empty())
                    .unwrap_or("?"),
            ),
        );
    }
    conditions(doc, s, node.pointer("/status/conditions"));
    let resource_line = |key: &str| -> Option<String> {
        let map = node.pointer(&format!("/status/{key}"))?.as_object()?;
        Some(
            ["cpu", "memory", "pods", "ephemeral-storage"]
                .iter()
                .filter_map(|r| map.get(*r).map(|v| format!("{r}={}", scalar(v))))
                .collect::<Vec<_>>()
                .join(", "),
        )
    };
    doc.field_opt("Capacity", resource_line("capacity"));
    doc.field_opt("Allocatable", resource_line("allocatable"));
    pods(doc, s);
}

/// The pods on the node (every namespace), each with its requests and
/// limits, and the totals against allocatable.
fn pods(doc: &mut Doc, s: &Subject) {
    let list = kubernetes::list(
        &ResourceType::new("v1", "pods"),
        &ListOptions {
            namespace: None,
            field_selector: Some(format!(
                "spec.nodeName={},status.phase!=Succeeded,status.phase!=Failed",
                s.name()
            )),
            limit: Some(500),
            ..ListOptions::default()
        },
    );
    let list: Value = match list
        .map_err(|e| e.message())
        .and_then(|l| serde_json::from_str(&l).map_err(|e| e.to_string()))
    {
        Ok(list) => list,
        Err(why) => {
            doc.field("Pods", format!("<not listed: {why}>"));
            return;
        }
    };
    let pods = list
        .get("items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let more = list
        .pointer("/metadata/continue")
        .and_then(Value::as_str)
        .is_some_and(|c| !c.is_empty());
    doc.section(&format!(
        "Non-terminated Pods ({}{})",
        pods.len(),
        if more { "+, the first 500 counted" } else { "" }
    ));
    let mut totals = Totals::default();
    let mut rows = Vec::new();
    for pod in &pods {
        let r = requests(pod);
        totals.add(&r);
        if rows.len() < PODS_SHOWN {
            rows.push(vec![
                str_at(pod, "/metadata/namespace").unwrap_or("?").to_owned(),
                str_at(pod, "/metadata/name").unwrap_or("?").to_owned(),
                quantity::millicores_text(r.cpu_request),
                quantity::millicores_text(r.cpu_limit),
                quantity::bytes_text(r.memory_request),
                quantity::bytes_text(r.memory_limit),
                s.age_at_of(pod, "/metadata/creationTimestamp"),
            ]);
        }
    }
    if !rows.is_empty() {
        doc.table(
            &[
                "NAMESPACE",
                "NAME",
                "CPU REQ",
                "CPU LIM",
                "MEM REQ",
                "MEM LIM",
                "AGE",
            ],
            &rows,
        );
    }
    if pods.len() > rows.len() {
        doc.line(
            1,
            &format!(
                "... {} more pods (pods_list with fieldSelector spec.nodeName={} lists them)",
                pods.len() - rows.len(),
                s.name()
            ),
        );
    }
    let allocatable = |r: &str| {
        s.object
            .pointer(&format!("/status/allocatable/{r}"))
            .and_then(Value::as_str)
    };
    let cpu = allocatable("cpu").and_then(quantity::millicores);
    let memory = allocatable("memory").and_then(quantity::bytes);
    let share = |used: u64, of: Option<u64>| match of {
        Some(of) if of > 0 => format!(" ({}%)", used * 100 / of),
        _ => String::new(),
    };
    doc.section("Allocated resources");
    doc.table(
        &["RESOURCE", "REQUESTS", "LIMITS"],
        &[
            vec![
                "cpu".into(),
                format!(
                    "{}{}",
                    quantity::millicores_text(totals.cpu_request),
                    share(totals.cpu_request, cpu)
                ),
                format!(
                    "{}{}",
                    quantity::millicores_text(totals.cpu_limit),
                    share(totals.cpu_limit, cpu)
                ),
            ],
            vec![
                "memory".into(),
                format!(
                    "{}{}",
                    quantity::bytes_text(totals.memory_request),
                    share(totals.memory_request, memory)
                ),
                format!(
                    "{}{}",
                    quantity::bytes_text(totals.memory_limit),
                    share(totals.memory_limit, memory)
                ),
            ],
        ],
    );
}

/// A pod's requests and limits, summed over its containers.
#[derive(Default)]
struct Totals {
    cpu_request: u64,
    cpu_limit: u64,
    memory_request: u64,
    memory_limit: u64,
}

impl Totals {
    fn add(&mut self, other: &Totals) {
        self.cpu_request += other.cpu_request;
        self.cpu_limit += other.cpu_limit;
        self.memory_request += other.memory_request;
        self.memory_limit += other.memory_limit;
    }
}

fn requests(pod: &Value) -> Totals {
    let mut totals = Totals::default();
    for c in pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let q = |path: &str| c.pointer(path).and_then(Value::as_str);
        totals.cpu_request += q("/resources/requests/cpu")
            .and_then(quantity::millicores)
            .unwrap_or(0);
        totals.cpu_limit += q("/resources/limits/cpu")
            .and_then(quantity::millicores)
            .unwrap_or(0);
        totals.memory_request += q("/resources/requests/memory")
            .and_then(quantity::bytes)
            .unwrap_or(0);
        totals.memory_limit += q("/resources/limits/memory")
            .and_then(quantity::bytes)
            .unwrap_or(0);
    }
    totals
}
