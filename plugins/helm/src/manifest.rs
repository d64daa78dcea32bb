//! A release's manifest as Helm stored it (`---`-separated documents, each
//! after a `# Source:` line), with the values of every Secret in it
//! redacted the way the gateway redacts Secrets, unless revealed. Other
//! documents are left exactly as Helm wrote them.

use serde_json::Value;

/// What a redacted value reads (as the gateway writes it).
const REDACTED: &str = "<redacted>";

pub fn redact(manifest: &str, reveal: bool) -> String {
    if reveal {
        return manifest.to_owned();
    }
    documents(manifest)
        .into_iter()
        .map(redact_document)
        .collect::<Vec<_>>()
        .join("")
}

/// The documents of `manifest`, each with its own `---` line.
fn documents(manifest: &str) -> Vec<&str> {
    let mut starts = vec![0];
    let mut at = 0;
    for line in manifest.split_inclusive('\n') {
        if at > 0 && line.trim_end() == "---" {
            starts.push(at);
        }
        at += line.len();
    }
    starts.push(manifest.len());
    starts.windows(2).map(|w| &manifest[w[0]..w[1]]).collect()
}

fn redact_document(document: &str) -> String {
    let Ok(mut object) = serde_yaml_ng::from_str::<Value>(document.trim_start_matches("---"))
    else {
        return document.to_owned();
    };
    if object["kind"].as_str() != Some("Secret") {
        return document.to_owned();
    }
    for field in ["data", "stringData"] {
        if let Some(values) = object.get_mut(field).and_then(Value::as_object_mut) {
            for value in values.values_mut() {
                *value = REDACTED.into();
            }
        }
    }
    // Keep the separator and the comments (`# Source: ...`) above it.
    let head: String = document
        .lines()
        .take_while(|l| l.trim_end() == "---" || l.starts_with('#') || l.trim().is_empty())
        .map(|l| format!("{l}\n"))
        .collect();
    format!(
        "{head}{}",
        serde_yaml_ng::to_string(&object).unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = "---\n# Source: shelf/templates/configmap.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  greeting: \"hi\"\n---\n# Source: shelf/templates/secret.yaml\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ntype: Opaque\nstringData:\n  password: \"s3cret\"\n";

    #[test]
    fn secret_values_are_redacted_and_everything_else_kept_as_written() {
        let shown = redact(MANIFEST, false);
        assert!(shown.starts_with(
            "---\n# Source: shelf/templates/configmap.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  greeting: \"hi\"\n---\n# Source: shelf/templates/secret.yaml\n"
        ), "{shown}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("password: <redacted>"), "{shown}");
        assert_eq!(redact(MANIFEST, true), MANIFEST);
    }
}
