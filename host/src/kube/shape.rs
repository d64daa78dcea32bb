//! What plugins get back: `metadata.managedFields` and the
//! `kubectl.kubernetes.io/last-applied-configuration` annotation removed
//! (noise a model pays for in tokens: the annotation repeats the whole
//! object, and for a Secret its values), and Secret values redacted unless
//! the operator chose otherwise.

use serde_json::Value;

/// What a redacted value reads.
pub const REDACTED: &str = "<redacted>";
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// The Secret type of Helm's release records.
pub const HELM_RECORD: &str = "helm.sh/release.v1";

/// What a request may see of Secret values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sight {
    /// Values redacted, unless the operator reveals them all.
    Shaped,
    /// As `Shaped`, but a Helm release record's `data.release` is kept:
    /// for requests a grant narrowed to such records covers.
    HelmRecords,
}

/// Shapes an object or a list in place, for a request with `sight`.
pub fn shape_for(value: &mut Value, reveal_secrets: bool, sight: Sight) {
    let list_of_secrets = value["kind"].as_str() == Some("SecretList");
    if let Some(items) = value.get_mut("items").and_then(Value::as_array_mut) {
        for item in items {
            if list_of_secrets && item.get("kind").is_none() {
                item["kind"] = "Secret".into();
            }
            shape_object(item, reveal_secrets, sight);
        }
    }
    shape_object(value, reveal_secrets, sight);
}

fn shape_object(object: &mut Value, reveal_secrets: bool, sight: Sight) {
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
    let record = sight == Sight::HelmRecords && object["type"].as_str() == Some(HELM_RECORD);
    for field in ["data", "stringData"] {
        if let Some(values) = object.get_mut(field).and_then(Value::as_object_mut) {
            for (key, value) in values.iter_mut() {
                if !(record && field == "data" && key == "release") {
                    *value = REDACTED.into();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_helm_record_is_kept_only_for_a_narrowed_sight() {
        let record = || json!({"kind": "Secret", "type": HELM_RECORD, "data": {"release": "SDRzSQ==", "other": "eA=="}});
        let mut shaped = record();
        shape_for(&mut shaped, false, Sight::Shaped);
        assert_eq!(shaped["data"]["release"], REDACTED);
        let mut seen = record();
        shape_for(&mut seen, false, Sight::HelmRecords);
        assert_eq!(seen["data"]["release"], "SDRzSQ==");
        assert_eq!(seen["data"]["other"], REDACTED);
        let mut opaque = json!({"kind": "Secret", "type": "Opaque", "data": {"release": "eA=="}});
        shape_for(&mut opaque, false, Sight::HelmRecords);
        assert_eq!(opaque["data"]["release"], REDACTED, "only Helm's records");
    }

    #[test]
    fn secrets_are_redacted_and_managed_fields_dropped() {
        let mut list = json!({"kind": "SecretList", "items": [{
            "metadata": {"name": "s", "managedFields": [{}],
                "annotations": {LAST_APPLIED: "{\"data\":{\"password\":\"aHVudGVyMg==\"}}"}},
            "data": {"password": "aHVudGVyMg=="}, "stringData": {"token": "t"}
        }]});
        shape_for(&mut list, false, Sight::Shaped);
        let secret = &list["items"][0];
        assert_eq!(secret["data"]["password"], REDACTED);
        assert_eq!(secret["stringData"]["token"], REDACTED);
        assert!(secret["metadata"].get("annotations").is_none());
        assert!(secret["metadata"].get("managedFields").is_none());

        let mut revealed = json!({"kind": "Secret", "data": {"password": "aHVudGVyMg=="}});
        shape_for(&mut revealed, true, Sight::Shaped);
        assert_eq!(revealed["data"]["password"], "aHVudGVyMg==");

        let mut config = json!({"kind": "ConfigMap", "metadata": {"managedFields": [],
            "annotations": {LAST_APPLIED: "{}", "team": "web"}}, "data": {"a": "b"}});
        shape_for(&mut config, false, Sight::Shaped);
        assert_eq!(config["data"]["a"], "b");
        assert!(config["metadata"].get("managedFields").is_none());
        assert_eq!(config["metadata"]["annotations"], json!({"team": "web"}));
    }
}
