//! What plugins get back: `metadata.managedFields` removed (noise a model
//! pays for in tokens) and Secret values redacted unless the operator chose
//! otherwise.

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
    // kubectl apply keeps the whole object, values included, here.
    if let Some(annotations) = object
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
        && annotations.contains_key(LAST_APPLIED)
    {
        annotations.insert(LAST_APPLIED.into(), REDACTED.into());
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
        assert_eq!(secret["metadata"]["annotations"][LAST_APPLIED], REDACTED);
        assert!(secret["metadata"].get("managedFields").is_none());

        let mut revealed = json!({"kind": "Secret", "data": {"password": "aHVudGVyMg=="}});
        shape(&mut revealed, true);
        assert_eq!(revealed["data"]["password"], "aHVudGVyMg==");

        let mut config =
            json!({"kind": "ConfigMap", "metadata": {"managedFields": []}, "data": {"a": "b"}});
        shape(&mut config, false);
        assert_eq!(config["data"]["a"], "b");
        assert!(config["metadata"].get("managedFields").is_none());
    }
}
