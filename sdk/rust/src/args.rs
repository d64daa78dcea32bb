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
    // Parsed to a value first: a type mismatch then reads without a line
    // and column, which mean nothing to the model that sent one line.
    let value: serde_json::Value = serde_json::from_str(arguments)
        .map_err(|e| CallError::InvalidArguments(format!("not JSON: {e}")))?;
    serde_path_to_error::deserialize(value).map_err(|e| {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Args {
        namespace: String,
        #[serde(default)]
        limit: Option<u32>,
    }

    fn message(arguments: &str) -> String {
        match parse_args::<Args>(arguments) {
            Err(CallError::InvalidArguments(message)) => message,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn mismatches_name_the_field_without_a_position() {
        assert_eq!(
            message(r#"{"namespace": 7}"#),
            "namespace: invalid type: integer `7`, expected a string"
        );
        assert_eq!(
            message(r#"{"namespace": "a", "limit": -1}"#),
            "limit: invalid value: integer `-1`, expected u32"
        );
        assert_eq!(message("{}"), "missing field `namespace`");
        assert!(message("{nope").starts_with("not JSON: "));
        assert_eq!(message(""), "missing field `namespace`");
    }
}
