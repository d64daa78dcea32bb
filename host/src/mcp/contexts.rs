//! The `context` argument: which cluster a tool call acts on.
//!
//! Plugins are cluster-agnostic. When the server has several clusters, the
//! host adds an optional `context` property to every tool's input schema
//! (its enum: the clusters this caller may use that tool on), takes it out
//! of the arguments before the plugin sees them, and aims the call's
//! Kubernetes requests at that cluster. A plugin that declares `context`
//! itself keeps its own: the host neither adds nor takes it, and its calls
//! go to the default cluster.

use std::sync::Arc;

use rmcp::model::Tool;
use serde_json::{Map, Value, json};

use super::request::InRequest;
use crate::policy::tools::Export;
use crate::wit::types;

/// The argument's name, as kubectl and the Go server call it.
pub const CONTEXT: &str = "context";

/// Whether a plugin's tool declares a `context` argument of its own.
pub fn declares_context(tool: &types::Tool) -> bool {
    serde_json::from_str::<Value>(&tool.input_schema)
        .ok()
        .and_then(|schema| schema.get("properties")?.get(CONTEXT).cloned())
        .is_some()
}

/// The clusters `caller` may use `export` on, in configuration order.
pub fn allowed_clusters(request: &InRequest, export: &Export) -> Vec<Arc<str>> {
    let clusters = request.shared.clusters();
    clusters
        .members()
        .iter()
        .filter(|member| {
            request
                .shared
                .policy
                .decide_export(request.caller.verified(), &export.on(&member.name))
                .allowed
        })
        .map(|member| member.name.clone())
        .collect()
}

/// `tool`'s schema with the `context` property: the clusters in `allowed`,
/// `default` when left out.
pub fn add_context(tool: &mut Tool, allowed: &[Arc<str>], default: &str) {
    let mut schema: Map<String, Value> = (*tool.input_schema).clone();
    let properties = schema
        .entry("properties")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(properties) = properties {
        let names: Vec<&str> = allowed.iter().map(|n| &**n).collect();
        let description = if names.contains(&default) {
            format!(
                "The cluster (kubeconfig context) to act on; when left out, '{default}'. \
                 configuration_contexts_list shows each."
            )
        } else {
            format!(
                "The cluster (kubeconfig context) to act on. The default cluster, '{default}', \
                 is not one you may use with this tool: give one of these."
            )
        };
        properties.insert(
            CONTEXT.into(),
            json!({"type": "string", "enum": names, "description": description}),
        );
    }
    tool.input_schema = Arc::new(schema);
}

/// Takes the host's `context` out of `arguments`: `Ok(None)` when absent.
/// Anything but one of the server's cluster names is refused with the names
/// the caller may use (`allowed`), so a model can correct itself; a cluster
/// the caller may not use reads like one that does not exist.
pub fn take_context(
    arguments: &mut Map<String, Value>,
    allowed: &[Arc<str>],
) -> Result<Option<Arc<str>>, String> {
    let Some(value) = arguments.remove(CONTEXT) else {
        return Ok(None);
    };
    let names = || {
        allowed
            .iter()
            .map(|n| format!("'{n}'"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match value {
        Value::Null => Ok(None),
        Value::String(name) => match allowed.iter().find(|n| ***n == *name) {
            Some(found) => Ok(Some(found.clone())),
            None => Err(format!(
                "context '{name}' is not a cluster you may use with this tool; use one of {}",
                names()
            )),
        },
        other => Err(format!(
            "context must be a cluster name (a string), not {other}; use one of {}",
            names()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_is_taken_out_and_checked() {
        let allowed: Vec<Arc<str>> = vec!["a".into(), "b".into()];
        let mut arguments = json!({"namespace": "x", "context": "b"})
            .as_object()
            .unwrap()
            .clone();
        let taken = take_context(&mut arguments, &allowed).unwrap();
        assert_eq!(taken.as_deref(), Some("b"));
        assert_eq!(Value::Object(arguments), json!({"namespace": "x"}));
        let mut none = Map::new();
        assert_eq!(take_context(&mut none, &allowed).unwrap(), None);
        let mut other = json!({"context": "prod"}).as_object().unwrap().clone();
        let error = take_context(&mut other, &allowed).unwrap_err();
        assert_eq!(
            error,
            "context 'prod' is not a cluster you may use with this tool; use one of 'a', 'b'"
        );
        let mut number = json!({"context": 3}).as_object().unwrap().clone();
        assert!(take_context(&mut number, &allowed).is_err());
    }

    #[test]
    fn the_schema_gains_context_with_the_allowed_clusters() {
        let mut tool = Tool::new(
            "pods_list",
            "Lists pods.",
            Arc::new(
                json!({"type": "object", "properties": {"namespace": {"type": "string"}}})
                    .as_object()
                    .unwrap()
                    .clone(),
            ),
        );
        add_context(&mut tool, &["a".into(), "b".into()], "a");
        let context = &tool.input_schema["properties"]["context"];
        assert_eq!(context["enum"], json!(["a", "b"]));
        assert!(context["description"].as_str().unwrap().contains("'a'"));
        assert!(tool.input_schema["properties"]["namespace"].is_object());
        let declared = types::Tool {
            input_schema: r#"{"type":"object","properties":{"context":{"type":"string"}}}"#.into(),
            ..test_tool()
        };
        assert!(declares_context(&declared));
        assert!(!declares_context(&test_tool()));
    }

    fn test_tool() -> types::Tool {
        types::Tool {
            name: "t".into(),
            title: None,
            description: "d".into(),
            input_schema: r#"{"type":"object"}"#.into(),
            output_schema: None,
            annotations: types::ToolAnnotations {
                read_only_hint: None,
                destructive_hint: None,
                idempotent_hint: None,
                open_world_hint: None,
            },
        }
    }
}
