//! `kube-mcp plugin inspect` and `kube-mcp plugin validate`.

mod support;

use support::kube_mcp;

#[test]
fn inspect_prints_description_tools_and_capabilities() {
    let conformance = support::built_plugin("conformance");
    let output = kube_mcp()
        .args(["plugin", "inspect"])
        .arg(&conformance)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.starts_with("conformance 0.1.0\n"), "{text}");
    assert!(text.contains("capabilities: none"), "{text}");
    assert!(text.contains("tools (33):"), "{text}");
    assert!(text.contains("test_simple_text"), "{text}");
    // What `tool-execution` says shows beside the tool.
    assert!(
        text.lines()
            .any(|l| l.contains("failing_job") && l.ends_with("[task: required]")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.contains("test_missing_capability") && l.ends_with("[needs: sampling]")),
        "{text}"
    );
    assert!(text.contains("prompts (5):"), "{text}");
    assert!(
        text.contains("  test://template/{id}/data  Resource Template"),
        "{text}"
    );
    assert!(text.contains("completions: yes"), "{text}");
}

#[test]
fn inspect_json_has_parsed_schemas_and_annotations() {
    let greeter = support::built_test_plugin("greeter-v2");
    let output = kube_mcp()
        .args(["plugin", "inspect", "--json"])
        .arg(&greeter)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["name"], "greeter");
    assert_eq!(value["version"], "2.0.0");
    let tools = value["tools"].as_array().unwrap();
    assert_eq!(tools.len(), 2);
    assert_eq!(tools[0]["inputSchema"]["type"], "object");
    assert_eq!(tools[0]["annotations"]["readOnlyHint"], true);
}

#[test]
fn validate_accepts_a_plugin_and_rejects_with_the_reason() {
    let greeter = support::built_test_plugin("greeter-v1");
    let output = kube_mcp()
        .args(["plugin", "validate"])
        .arg(&greeter)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("valid plugin 'greeter'"));

    // Loadable, but a schema in an older dialect than JSON Schema 2020-12.
    let hostile = support::built_test_plugin("hostile");
    let output = kube_mcp()
        .args(["plugin", "validate"])
        .arg(&hostile)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("tool 'draft7_schema': input schema: declares $schema 'http://json-schema.org/draft-07/schema#'"),
        "{stderr}"
    );
    assert!(
        stderr.contains("tool 'draft7_schema': input schema: #: `definitions` is not JSON Schema 2020-12; use `$defs`"),
        "{stderr}"
    );

    let dir = tempfile::tempdir().unwrap();
    let bogus = dir.path().join("bogus.wasm");
    std::fs::write(&bogus, b"\0asm\x01\0\0\0").unwrap();
    let output = kube_mcp()
        .args(["plugin", "validate"])
        .arg(&bogus)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("bogus.wasm"), "{stderr}");
    assert!(
        stderr.contains("not a valid WebAssembly component"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");

    let output = kube_mcp()
        .args(["plugin", "validate", "/nonexistent.wasm"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read the file"));
}
