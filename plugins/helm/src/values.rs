//! Computed values, as `helm get values --all` shows them: the chart's
//! defaults with the user's values on top (Helm's coalescing: maps merge
//! key by key, anything else the user set wins, a user's `null` removes
//! the default).

use serde_json::Value;

pub fn coalesce(defaults: Value, user: Value) -> Value {
    match (defaults, user) {
        (Value::Object(mut base), Value::Object(over)) => {
            for (key, value) in over {
                if value.is_null() {
                    base.remove(&key);
                    continue;
                }
                let merged = match base.remove(&key) {
                    Some(default) => coalesce(default, value),
                    None => value,
                };
                base.insert(key, merged);
            }
            Value::Object(base)
        }
        (defaults, Value::Null) => defaults,
        (_, user) => user,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn user_values_override_defaults_key_by_key_and_null_removes() {
        let defaults = json!({"replicas": 1, "image": {"repo": "a", "tag": "1"}, "debug": true});
        let user = json!({"replicas": 2, "image": {"tag": "2"}, "debug": null});
        assert_eq!(
            coalesce(defaults, user),
            json!({"replicas": 2, "image": {"repo": "a", "tag": "2"}})
        );
        assert_eq!(coalesce(json!({"a": 1}), Value::Null), json!({"a": 1}));
    }
}
