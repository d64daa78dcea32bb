//! The Rust guest SDK, through the example plugin built on it: schemas come
//! from the argument types, bad arguments are refused naming the field.

mod support;

use kube_mcp::config::PluginSettings;
use kube_mcp::plugins::{PluginHost, Registry, Runtime};
use kube_mcp::wit::types::{CallError, CallResult, Content};

async fn hello() -> (std::sync::Arc<Registry>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        support::built_example("hello"),
        dir.path().join("hello.wasm"),
    )
    .unwrap();
    let host = PluginHost::new(
        Runtime::new(PluginSettings::default(), None).unwrap(),
        dir.path().into(),
    );
    let reload = host.reload().await.unwrap();
    assert!(reload.failures.is_empty(), "{:?}", reload.failures);
    (reload.registry, dir)
}

async fn call(registry: &Registry, tool: &str, arguments: &str) -> Result<CallResult, CallError> {
    let caller = std::sync::Arc::new(kube_mcp::auth::Principal::named(kube_mcp::auth::CallerId {
        issuer: "https://idp.test".into(),
        subject: "ada".into(),
    }));
    registry
        .tool(tool)
        .unwrap()
        .0
        .call_tool(
            tool,
            arguments,
            &kube_mcp::plugins::CallContext::new(caller),
        )
        .await
        .unwrap()
}

fn text(result: &CallResult) -> &str {
    match &result.content[..] {
        [Content::Text(t)] => &t.text,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn schemas_are_generated_from_the_argument_types() {
    let (registry, _dir) = hello().await;
    let (_, greet) = registry.tool("greet").unwrap();
    let schema: serde_json::Value = serde_json::from_str(&greet.input_schema).unwrap();
    assert_eq!(schema["type"], "object");
    assert_eq!(schema["properties"]["name"]["type"], "string");
    assert_eq!(schema["properties"]["name"]["description"], "Who to greet.");
    assert_eq!(schema["required"], serde_json::json!(["name"]));
    assert_eq!(greet.title.as_deref(), Some("Greet"));
    assert_eq!(greet.annotations.read_only_hint, Some(true));
    let (_, add) = registry.tool("add").unwrap();
    let output: serde_json::Value =
        serde_json::from_str(add.output_schema.as_deref().unwrap()).unwrap();
    assert_eq!(output["properties"]["sum"]["type"], "integer");
}

#[tokio::test]
async fn typed_arguments_and_structured_results() {
    let (registry, _dir) = hello().await;
    let greeting = call(&registry, "greet", r#"{"name":"Grace"}"#)
        .await
        .unwrap();
    assert_eq!(text(&greeting), "Hello, Grace! (asked by ada)");
    let loud = call(&registry, "greet", r#"{"name":"Grace","shout":true}"#)
        .await
        .unwrap();
    assert_eq!(text(&loud), "HELLO, GRACE! (ASKED BY ADA)");
    let sum = call(&registry, "add", r#"{"a":2,"b":3}"#).await.unwrap();
    assert_eq!(sum.structured_content.as_deref(), Some(r#"{"sum":5}"#));
    let overflow = call(&registry, "add", &format!(r#"{{"a":{},"b":1}}"#, i64::MAX))
        .await
        .unwrap();
    assert!(overflow.is_error);
}

#[tokio::test]
async fn bad_arguments_are_refused_naming_the_field() {
    let (registry, _dir) = hello().await;
    let invalid = |r: Result<CallResult, CallError>| match r {
        Err(CallError::InvalidArguments(message)) => message,
        other => panic!("expected invalid arguments, got {other:?}"),
    };
    let missing = invalid(call(&registry, "greet", "{}").await);
    assert!(missing.contains("missing field `name`"), "{missing}");
    let wrong_type = invalid(call(&registry, "greet", r#"{"name":5}"#).await);
    assert!(
        wrong_type.starts_with("name: invalid type: integer `5`"),
        "{wrong_type}"
    );
    let unknown = invalid(call(&registry, "greet", r#"{"name":"x","loud":true}"#).await);
    assert!(unknown.contains("unknown field `loud`"), "{unknown}");
    let not_json = invalid(call(&registry, "add", "{not json").await);
    assert!(!not_json.is_empty());
}
