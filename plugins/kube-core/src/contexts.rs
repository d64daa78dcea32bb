//! `configuration_contexts_list` and `configuration_view` (the Go servers'
//! names): the clusters this server serves that the caller may use, as the
//! host tells them (`kubernetes.contexts`). No credentials ever: the host
//! does not hand them to plugins.

use kube_mcp_plugin::kubernetes::{self, ClusterContext};
use kube_mcp_plugin::types::{CallResult, Content};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::describe::Doc;

#[derive(Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ContextsListArgs {
    /// Ask each cluster's API server for its version now (the default), to
    /// show which ones are reachable; false lists them without asking.
    probe: Option<bool>,
}

#[derive(Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ViewArgs {
    /// Only the cluster this call is aimed at (the default, as `kubectl
    /// config view --minify`); false shows every cluster you may use.
    minified: Option<bool>,
}

const COLUMNS: [&str; 6] = ["Name", "Server", "Default", "Identity", "Version", "Status"];

/// The clusters as a table, their rows as structured content.
pub fn contexts_list(args: ContextsListArgs) -> CallResult {
    let contexts = kubernetes::contexts(args.probe.unwrap_or(true));
    let rows: Vec<Value> = contexts.iter().map(row).collect();
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            COLUMNS
                .iter()
                .map(|c| match &row[*c] {
                    Value::String(s) => s.clone(),
                    Value::Bool(b) => if *b { "*" } else { "" }.to_owned(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect();
    let mut doc = Doc::default();
    let header: Vec<String> = COLUMNS.iter().map(|c| c.to_uppercase()).collect();
    doc.table_at(
        0,
        &header.iter().map(String::as_str).collect::<Vec<_>>(),
        &cells,
    );
    let columns: Vec<Value> = COLUMNS
        .iter()
        .map(|c| {
            let kind = if *c == "Default" { "boolean" } else { "string" };
            json!({"name": c, "type": kind})
        })
        .collect();
    CallResult {
        content: vec![Content::text(doc.text())],
        structured_content: Some(json!({"columns": columns, "rows": rows}).to_string()),
        is_error: false,
    }
}

fn row(context: &ClusterContext) -> Value {
    let status = match (&context.version, &context.unreachable) {
        (_, Some(why)) => format!("unreachable: {why}"),
        (Some(_), None) => "reachable".to_owned(),
        (None, None) => "not probed".to_owned(),
    };
    json!({
        "Name": context.name,
        "Server": context.server,
        "Default": context.is_default,
        "Identity": context.identity,
        "Version": context.version,
        "Status": status,
    })
}

/// The clusters as a kubeconfig without users: what `kubectl config view`
/// shows, less every credential.
pub fn view(args: ViewArgs) -> CallResult {
    let contexts = kubernetes::contexts(false);
    let minified = args.minified.unwrap_or(true);
    let shown: Vec<&ClusterContext> = contexts.iter().filter(|c| !minified || c.current).collect();
    let current = contexts
        .iter()
        .find(|c| c.current)
        .or_else(|| contexts.iter().find(|c| c.is_default))
        .map_or("", |c| c.name.as_str());
    // Strings are written as JSON strings: valid YAML whatever they hold.
    let q = |s: &str| Value::String(s.to_owned()).to_string();
    let mut yaml = String::from("apiVersion: v1\nkind: Config\nclusters:\n");
    for c in &shown {
        yaml += &format!(
            "- name: {}\n  cluster:\n    server: {}\n",
            q(&c.name),
            q(&c.server)
        );
    }
    yaml += "contexts:\n";
    for c in &shown {
        yaml += &format!(
            "- name: {}\n  context:\n    cluster: {}\n    user: {}\n",
            q(&c.name),
            q(&c.name),
            q(&format!("kube-mcp ({})", c.identity))
        );
    }
    yaml += &format!("current-context: {}\n", q(current));
    yaml +=
        "# users: kube-mcp never shows credentials; each context acts as its identity mode says\n";
    if shown.is_empty() {
        yaml = "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\n".into();
    }
    CallResult::text(yaml)
}
