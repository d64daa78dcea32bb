//! `pods_top` and `nodes_top`: what pods and nodes use right now, from the
//! Metrics API (`metrics.k8s.io`, served by metrics-server), as `kubectl
//! top` shows it: a table sorted by CPU or memory, the same rows as
//! structured content.

use kube_mcp_plugin::kubernetes::{self, ListOptions, ResourceType};
use kube_mcp_plugin::types::{CallResult, Content};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::describe::Doc;
use crate::quantity;

/// The group and version of the Metrics API.
const METRICS: &str = "metrics.k8s.io/v1beta1";

/// What to sort by.
#[derive(Deserialize, JsonSchema, Clone, Copy, Default, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum SortBy {
    /// CPU use, highest first (the default).
    #[default]
    Cpu,
    /// Memory use (working set), highest first.
    Memory,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodsTopArgs {
    /// The namespace; omit or leave empty for every namespace.
    namespace: Option<String>,
    /// Every namespace, even when `namespace` is given (the name
    /// containers/kubernetes-mcp-server uses, `all_namespaces`, works too).
    #[serde(default, alias = "all_namespaces")]
    all_namespaces: bool,
    /// Only pods with these labels, e.g. `app=web` (`label_selector` works too).
    #[serde(alias = "label_selector")]
    label_selector: Option<String>,
    /// One pod by name (with `namespace`).
    name: Option<String>,
    /// `cpu` (the default) or `memory`: the heaviest first.
    sort_by: Option<SortBy>,
    /// One row per container instead of per pod.
    #[serde(default)]
    containers: bool,
    /// At most this many rows (default 50).
    limit: Option<u32>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodesTopArgs {
    /// One node by name.
    name: Option<String>,
    /// Only nodes with these labels, e.g. `type=kwok` (`label_selector`
    /// works too).
    #[serde(alias = "label_selector")]
    label_selector: Option<String>,
    /// `cpu` (the default) or `memory`: the busiest first.
    sort_by: Option<SortBy>,
}

/// At most this many rows unless asked for more.
const DEFAULT_ROWS: u32 = 50;

/// One measured row: who, how much CPU (millicores) and memory (bytes).
struct Usage {
    namespace: Option<String>,
    name: String,
    container: Option<String>,
    cpu: u64,
    memory: u64,
}

/// `None` when the cluster serves the Metrics API, else the one line that
/// says it does not.
fn metrics_api_missing(what: &str) -> Option<CallResult> {
    let resources = match kubernetes::api_resources() {
        Ok(r) => r,
        Err(e) => return Some(CallResult::error(e.message())),
    };
    let served = resources
        .iter()
        .any(|r| r.type_.group == "metrics.k8s.io" && r.type_.resource == what);
    (!served).then(|| {
        CallResult::error(format!(
            "this cluster has no Metrics API (metrics.k8s.io is not served): install metrics-server to see what the {what} use"
        ))
    })
}

/// Every item of a Metrics API list (all pages).
fn metric_items(
    resource: &str,
    namespace: Option<String>,
    selector: Option<String>,
) -> Result<Vec<Value>, String> {
    let mut items = Vec::new();
    let mut token = None;
    loop {
        let page = kubernetes::list(
            &ResourceType::new(METRICS, resource),
            &ListOptions {
                namespace: namespace.clone(),
                label_selector: selector.clone(),
                limit: Some(500),
                continue_token: token.take(),
                ..ListOptions::default()
            },
        )
        .map_err(|e| e.message())?;
        let mut page: Value = serde_json::from_str(&page).map_err(|e| e.to_string())?;
        if let Some(Value::Array(more)) = page.get_mut("items").map(Value::take) {
            items.extend(more);
        }
        match page.pointer("/metadata/continue").and_then(Value::as_str) {
            Some(t) if !t.is_empty() => token = Some(t.to_owned()),
            _ => return Ok(items),
        }
    }
}

fn usage_of(usage: Option<&Value>) -> (u64, u64) {
    let q = |k: &str| usage.and_then(|u| u.get(k)).and_then(Value::as_str);
    (
        q("cpu").and_then(quantity::millicores).unwrap_or(0),
        q("memory").and_then(quantity::bytes).unwrap_or(0),
    )
}

fn sort(rows: &mut [Usage], by: SortBy) {
    rows.sort_by(|a, b| {
        let key = |u: &Usage| match by {
            SortBy::Cpu => (u.cpu, u.memory),
            SortBy::Memory => (u.memory, u.cpu),
        };
        key(b).cmp(&key(a)).then_with(|| a.name.cmp(&b.name))
    });
}

pub fn pods_top(args: PodsTopArgs) -> CallResult {
    if let Some(missing) = metrics_api_missing("pods") {
        return missing;
    }
    let namespace = args
        .namespace
        .filter(|n| !n.is_empty() && !args.all_namespaces);
    if args.name.is_some() && namespace.is_none() {
        return CallResult::error("give the pod's namespace with its name");
    }
    let items = match metric_items(
        "pods",
        namespace.clone(),
        args.label_selector.filter(|s| !s.is_empty()),
    ) {
        Ok(items) => items,
        Err(e) => return CallResult::error(e),
    };
    let mut rows = Vec::new();
    for pod in &items {
        let name = pod
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("?");
        if args.name.as_deref().is_some_and(|n| n != name) {
            continue;
        }
        let ns = pod
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let containers = pod
            .get("containers")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if args.containers {
            for c in &containers {
                let (cpu, memory) = usage_of(c.get("usage"));
                rows.push(Usage {
                    namespace: ns.clone(),
                    name: name.to_owned(),
                    container: c.get("name").and_then(Value::as_str).map(str::to_owned),
                    cpu,
                    memory,
                });
            }
        } else {
            let (cpu, memory) = containers.iter().fold((0, 0), |(c, m), x| {
                let (dc, dm) = usage_of(x.get("usage"));
                (c + dc, m + dm)
            });
            rows.push(Usage {
                namespace: ns,
                name: name.to_owned(),
                container: None,
                cpu,
                memory,
            });
        }
    }
    if rows.is_empty() {
        return match (&args.name, &namespace) {
            (Some(n), Some(ns)) => CallResult::error(format!(
                "no metrics for pod {ns}/{n} (not found, or not scraped yet)"
            )),
            (_, Some(ns)) => CallResult::text(format!("No pod metrics in namespace {ns} yet.")),
            _ => CallResult::text("No pod metrics yet."),
        };
    }
    let by = args.sort_by.unwrap_or_default();
    sort(&mut rows, by);
    let total = rows.len();
    rows.truncate(args.limit.unwrap_or(DEFAULT_ROWS).max(1) as usize);
    let across = namespace.is_none();
    let mut columns: Vec<&str> = Vec::new();
    if across {
        columns.push("Namespace");
    }
    columns.push("Name");
    if args.containers {
        columns.push("Container");
    }
    columns.extend(["CPU (cores)", "Memory (bytes)"]);
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|u| {
            let mut row = Vec::new();
            if across {
                row.push(u.namespace.clone().unwrap_or_default());
            }
            row.push(u.name.clone());
            if args.containers {
                row.push(u.container.clone().unwrap_or_default());
            }
            row.push(quantity::millicores_text(u.cpu));
            row.push(quantity::bytes_text(u.memory));
            row
        })
        .collect();
    let structured: Vec<Value> = rows
        .iter()
        .map(|u| {
            let mut row = json!({"Name": u.name, "CPU (cores)": quantity::millicores_text(u.cpu), "Memory (bytes)": quantity::bytes_text(u.memory), "CPU (millicores)": u.cpu, "Memory (bytes, exact)": u.memory});
            if across {
                row["Namespace"] = json!(u.namespace);
            }
            if let Some(c) = &u.container {
                row["Container"] = json!(c);
            }
            row
        })
        .collect();
    table(&columns, &cells, structured, total, by)
}

pub fn nodes_top(args: NodesTopArgs) -> CallResult {
    if let Some(missing) = metrics_api_missing("nodes") {
        return missing;
    }
    let items = match metric_items(
        "nodes",
        None,
        args.label_selector.clone().filter(|s| !s.is_empty()),
    ) {
        Ok(items) => items,
        Err(e) => return CallResult::error(e),
    };
    // Allocatable, for the share each node uses (as kubectl top shows).
    let nodes = kubernetes::list(
        &ResourceType::new("v1", "nodes"),
        &ListOptions {
            label_selector: args.label_selector.filter(|s| !s.is_empty()),
            limit: Some(500),
            ..ListOptions::default()
        },
    )
    .ok()
    .and_then(|l| serde_json::from_str::<Value>(&l).ok());
    let allocatable = |name: &str| -> (Option<u64>, Option<u64>) {
        let node = nodes
            .as_ref()
            .and_then(|l| l.get("items"))
            .and_then(Value::as_array)
            .and_then(|items| {
                items
                    .iter()
                    .find(|n| n.pointer("/metadata/name").and_then(Value::as_str) == Some(name))
            });
        let q = |k: &str| {
            node.and_then(|n| n.pointer(&format!("/status/allocatable/{k}")))
                .and_then(Value::as_str)
        };
        (
            q("cpu").and_then(quantity::millicores),
            q("memory").and_then(quantity::bytes),
        )
    };
    let mut rows: Vec<Usage> = items
        .iter()
        .filter_map(|n| {
            let name = n.pointer("/metadata/name").and_then(Value::as_str)?;
            if args.name.as_deref().is_some_and(|wanted| wanted != name) {
                return None;
            }
            let (cpu, memory) = usage_of(n.get("usage"));
            Some(Usage {
                namespace: None,
                name: name.to_owned(),
                container: None,
                cpu,
                memory,
            })
        })
        .collect();
    if rows.is_empty() {
        return match &args.name {
            Some(n) => CallResult::error(format!(
                "no metrics for node {n} (not found, or not scraped yet)"
            )),
            None => CallResult::text("No node metrics yet."),
        };
    }
    let by = args.sort_by.unwrap_or_default();
    sort(&mut rows, by);
    let share = |used: u64, of: Option<u64>| match of {
        Some(of) if of > 0 => format!("{}%", used * 100 / of),
        _ => "<unknown>".into(),
    };
    let columns = ["Name", "CPU (cores)", "CPU%", "Memory (bytes)", "Memory%"];
    let mut cells = Vec::new();
    let mut structured = Vec::new();
    for u in &rows {
        let (cpu_of, memory_of) = allocatable(&u.name);
        let row = vec![
            u.name.clone(),
            quantity::millicores_text(u.cpu),
            share(u.cpu, cpu_of),
            quantity::bytes_text(u.memory),
            share(u.memory, memory_of),
        ];
        structured.push(json!({
            "Name": row[0], "CPU (cores)": row[1], "CPU%": row[2], "Memory (bytes)": row[3], "Memory%": row[4],
            "CPU (millicores)": u.cpu, "Memory (bytes, exact)": u.memory,
        }));
        cells.push(row);
    }
    let total = rows.len();
    table(&columns, &cells, structured, total, by)
}

/// The aligned table for the model and the rows for programs.
fn table(
    columns: &[&str],
    cells: &[Vec<String>],
    rows: Vec<Value>,
    total: usize,
    by: SortBy,
) -> CallResult {
    let mut doc = Doc::default();
    let header: Vec<String> = columns.iter().map(|c| c.to_uppercase()).collect();
    doc.table_at(
        0,
        &header.iter().map(String::as_str).collect::<Vec<_>>(),
        cells,
    );
    let mut content = vec![Content::text(doc.text())];
    let sorted = match by {
        SortBy::Cpu => "CPU",
        SortBy::Memory => "memory",
    };
    if total > cells.len() {
        content.push(Content::text(format!(
            "the {} highest by {sorted} of {total}; raise limit for more",
            cells.len()
        )));
    }
    let mut described: Vec<Value> = columns
        .iter()
        .map(|c| json!({"name": c, "type": "string"}))
        .collect();
    described.push(json!({"name": "CPU (millicores)", "type": "integer"}));
    described.push(json!({"name": "Memory (bytes, exact)", "type": "integer"}));
    CallResult {
        content,
        structured_content: Some(json!({"columns": described, "rows": rows}).to_string()),
        is_error: false,
    }
}
