//! Whether a tool's JSON Schema is written in JSON Schema 2020-12, the
//! dialect MCP tool schemas use (SEP-1613): `kube-mcp plugin validate`
//! refuses a plugin whose schemas name another `$schema` or use keywords
//! that 2020-12 replaced, because clients read them as 2020-12 and would
//! silently ignore those keywords.

use serde_json::Value;

/// The dialect MCP tool schemas use.
pub const DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// What in `schema` is not JSON Schema 2020-12, each with where it is.
pub fn problems(schema: &Value) -> Vec<String> {
    let mut found = Vec::new();
    if let Some(declared) = schema.get("$schema").and_then(Value::as_str)
        && declared.trim_end_matches('#') != DIALECT
    {
        found.push(format!(
            "declares $schema '{declared}'; MCP tool schemas are JSON Schema 2020-12 ({DIALECT})"
        ));
    }
    walk(schema, "#", &mut found);
    found
}

/// Keywords that JSON Schema 2020-12 replaced, and what replaced them.
fn replaced(keyword: &str, value: &Value) -> Option<&'static str> {
    Some(match keyword {
        "definitions" => "`$defs`",
        "dependencies" => "`dependentRequired` or `dependentSchemas`",
        "additionalItems" => "`items` after `prefixItems`",
        "$recursiveRef" => "`$dynamicRef`",
        "$recursiveAnchor" => "`$dynamicAnchor`",
        "items" if value.is_array() => "`prefixItems` (an array of schemas)",
        "exclusiveMinimum" | "exclusiveMaximum" if value.is_boolean() => {
            "a number (the bound itself), not a boolean"
        }
        _ => return None,
    })
}

/// Checks the schema at `path`, then the schemas inside it.
fn walk(schema: &Value, path: &str, found: &mut Vec<String>) {
    let Value::Object(object) = schema else {
        return;
    };
    for (keyword, value) in object {
        if let Some(instead) = replaced(keyword, value) {
            found.push(format!(
                "{path}: `{keyword}` is not JSON Schema 2020-12; use {instead}"
            ));
        }
        let here = format!("{path}/{keyword}");
        match keyword.as_str() {
            // Maps of names to schemas.
            "properties" | "patternProperties" | "$defs" | "definitions" | "dependentSchemas" => {
                for (name, inner) in value.as_object().into_iter().flatten() {
                    walk(inner, &format!("{here}/{name}"), found);
                }
            }
            // Lists of schemas.
            "allOf" | "anyOf" | "oneOf" | "prefixItems" => {
                for (i, inner) in value.as_array().into_iter().flatten().enumerate() {
                    walk(inner, &format!("{here}/{i}"), found);
                }
            }
            "items" if value.is_array() => {
                for (i, inner) in value.as_array().into_iter().flatten().enumerate() {
                    walk(inner, &format!("{here}/{i}"), found);
                }
            }
            // One schema.
            "items"
            | "additionalProperties"
            | "not"
            | "if"
            | "then"
            | "else"
            | "contains"
            | "propertyNames"
            | "unevaluatedProperties"
            | "unevaluatedItems"
            | "additionalItems" => walk(value, &here, found),
            // Values, not schemas (`enum`, `const`, `default`, ...).
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_2020_12_schema_passes() {
        let schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "$defs": {"address": {"$anchor": "address", "type": "object"}},
            "properties": {
                // A property may be called anything, old keywords included.
                "definitions": {"type": "array", "prefixItems": [{"type": "string"}], "items": {"type": "number"}},
                "dependencies": {"type": "string", "default": {"items": []}},
            },
            "allOf": [{"anyOf": [{"required": ["definitions"]}]}],
            "if": {"properties": {"a": {"const": 1}}},
            "then": {"required": ["a"]},
            "exclusiveMinimum": 0,
        });
        assert_eq!(problems(&schema), Vec::<String>::new());
    }

    /// Keywords come in key order (serde_json's maps are sorted).
    #[test]
    fn older_dialects_and_their_keywords_are_named_with_where_they_are() {
        let schema = json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "definitions": {"pair": {"type": "array", "items": [{"type": "string"}], "additionalItems": false}},
            "properties": {"n": {"type": "number", "exclusiveMinimum": true}},
            "dependencies": {"a": ["b"]},
        });
        assert_eq!(
            problems(&schema),
            vec![
                "declares $schema 'http://json-schema.org/draft-07/schema#'; MCP tool schemas are JSON Schema 2020-12 (https://json-schema.org/draft/2020-12/schema)",
                "#: `definitions` is not JSON Schema 2020-12; use `$defs`",
                "#/definitions/pair: `additionalItems` is not JSON Schema 2020-12; use `items` after `prefixItems`",
                "#/definitions/pair: `items` is not JSON Schema 2020-12; use `prefixItems` (an array of schemas)",
                "#: `dependencies` is not JSON Schema 2020-12; use `dependentRequired` or `dependentSchemas`",
                "#/properties/n: `exclusiveMinimum` is not JSON Schema 2020-12; use a number (the bound itself), not a boolean",
            ]
        );
    }

    #[test]
    fn no_schema_keyword_means_2020_12() {
        assert!(problems(&json!({"type": "object", "properties": {}})).is_empty());
    }
}
