//! What plugins get back: `metadata.managedFields` and the
//! `kubectl.kubernetes.io/last-applied-configuration` annotation removed
//! (noise a model pays for in tokens: the annotation repeats the whole
//! object, and for a Secret its values), and Secret values redacted unless
//! the operator chose otherwise.

use serde_json::Value;

/// What a redacted value reads.
pub const REDACTED: &str = "<redacted>";
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Shapes an object or a list in place.
pub fn shape(value: &mut Value, reveal_secrets: bool) {
    let list_of_secrets = value["kind"].as_str() == Some("SecretList");
    if let Some(items) = value.get_mut("items").and_then(Value::as_array_mut) {
        for item in items {
            if list_of_secrets && item.get("kind").is_none() {
                item["kind"] = "Secret".into();
            }
            shape_object(item, reveal_secrets);
        }
    }
    shape_object(value, reveal_secrets);
}

fn shape_object(object: &mut Value, reveal_secrets: bool) {
    if let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        metadata.remove("managedFields");
        if let Some(annotations) = metadata
            .get_mut("annotations")
            .and_then(Value::as_object_mut)
        {
            annotations.remove(LAST_APPLIED);
            if annotations.is_empty() {
                metadata.remove("annotations");
            }
        }
    }
    if reveal_secrets || object["kind"].as_str() != Some("Secret") {
        return;
    }
    for field in ["data", "stringData"] {
        if let Some(values) = object.get_mut(field).and_then(Value::as_object_mut) {
            for value in values.values_mut() {
                *value = REDACTED.into();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_redacted_and_managed_fields_dropped() {
        let mut list = json!({"kind": "SecretList", "items": [{
            "metadata": {"name": "s", "managedFields": [{}],
                "annotations": {LAST_APPLIED: "{\"data\":{\"password\":\"aHVudGVyMg==\"}}"}},
            "data": {"password": "aHVudGVyMg=="}, "stringData": {"token": "t"}
        }]});
        shape(&mut list, false);
        let secret = &list["items"][0];
        assert_eq!(secret["data"]["password"], REDACTED);
        assert_eq!(secret["stringData"]["token"], REDACTED);
        assert!(secret["metadata"].get("annotations").is_none());
        assert!(secret["metadata"].get("managedFields").is_none());

        let mut revealed = json!({"kind": "Secret", "data": {"password": "aHVudGVyMg=="}});
        shape(&mut revealed, true);
        assert_eq!(revealed["data"]["password"], "aHVudGVyMg==");

        let mut config = json!({"kind": "ConfigMap", "metadata": {"managedFields": [],
            "annotations": {LAST_APPLIED: "{}", "team": "web"}}, "data": {"a": "b"}});
        shape(&mut config, false);
        assert_eq!(config["data"]["a"], "b");
        assert!(config["metadata"].get("managedFields").is_none());
        assert_eq!(config["metadata"]["annotations"], json!({"team": "web"}));
    }
}
