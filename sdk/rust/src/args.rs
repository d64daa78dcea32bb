//! Typed tool arguments: parsed with serde, described with a JSON Schema
//! generated from the same type, so the schema a client sees and the parser
//! that checks a call cannot disagree.

use schemars::JsonSchema;
use serde::de::DeserializeOwned;

use crate::types::CallError;

/// Parses a call's `arguments` (a JSON object) into `T`. A mismatch becomes
/// `invalid-arguments` naming the field: `name: invalid type: integer `5`,
/// expected a string`.
pub fn parse_args<T: DeserializeOwned>(arguments: &str) -> Result<T, CallError> {
    let arguments = if arguments.trim().is_empty() {
        "{}"
    } else {
        arguments
    };
    let mut deserializer = serde_json::Deserializer::from_str(arguments);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        CallError::InvalidArguments(if path == "." {
            inner.to_string()
        } else {
            format!("{path}: {inner}")
        })
    })
}

/// The JSON Schema of `T`, as JSON text.
pub fn schema_of<T: JsonSchema>() -> String {
    serde_json::to_string(&schemars::schema_for!(T)).expect("a schema serializes")
}

/// The arguments of a tool that takes none.
#[derive(Debug, Default, serde::Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArgs {}
