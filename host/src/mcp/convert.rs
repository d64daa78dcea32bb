//! Plugin (WIT) values to MCP values and back.
//!
//! Values are built as the MCP schema's JSON and then read into rmcp's
//! types: the mapping follows the specification, not the SDK's struct
//! layout (whose structs are `#[non_exhaustive]`).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rmcp::model;
use serde_json::{Map, Value, json};

use crate::plugins::Question;
use crate::wit::client::{
    Answer, ClientError, Elicitation, Root, SamplingContent, SamplingRequest, SamplingResponse,
};
use crate::wit::tool_execution::{ClientFeature, Execution};
use crate::wit::types::{
    CallResult, Completion, Content, EmbeddedResource, Prompt, PromptResult, ResourceContents,
    ResourceInfo, ResourceTemplate, Role, Tool,
};

/// Reads a value built here into an rmcp type. A failure is a bug in this
/// module, reported as an internal error rather than a panic.
fn into<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, model::ErrorData> {
    serde_json::from_value(value).map_err(|e| {
        model::ErrorData::internal_error(format!("cannot build an MCP value: {e}"), None)
    })
}

/// Marks a result as final (SEP-2322): required by 2026-07-28 clients, and
/// removed by rmcp for peers of older revisions.
const COMPLETE: &str = "complete";

/// Sets `key` only when there is a value.
fn put(object: &mut Map<String, Value>, key: &str, value: Option<impl Into<Value>>) {
    if let Some(value) = value {
        object.insert(key.into(), value.into());
    }
}

pub fn tool(tool: &Tool) -> Result<model::Tool, model::ErrorData> {
    let schema = |text: &str| serde_json::from_str::<Value>(text).unwrap_or_else(|_| json!({}));
    let mut object = Map::new();
    object.insert("name".into(), tool.name.clone().into());
    put(&mut object, "title", tool.title.clone());
    object.insert("description".into(), tool.description.clone().into());
    object.insert("inputSchema".into(), schema(&tool.input_schema));
    put(
        &mut object,
        "outputSchema",
        tool.output_schema.as_deref().map(schema),
    );
    let a = &tool.annotations;
    let mut annotations = Map::new();
    put(&mut annotations, "title", tool.title.clone());
    put(&mut annotations, "readOnlyHint", a.read_only_hint);
    put(&mut annotations, "destructiveHint", a.destructive_hint);
    put(&mut annotations, "idempotentHint", a.idempotent_hint);
    put(&mut annotations, "openWorldHint", a.open_world_hint);
    if !annotations.is_empty() {
        object.insert("annotations".into(), annotations.into());
    }
    into(object.into())
}

/// The client capabilities a tool requires, as MCP's missing-capability
/// error names them; `None` when `support` has them all.
pub fn missing_capabilities(
    execution: Option<&Execution>,
    support: crate::plugins::ClientSupport,
) -> Option<model::ClientCapabilities> {
    let mut missing = Map::new();
    for feature in execution.map_or(&[][..], |e| &e.requires) {
        let supported = match feature {
            ClientFeature::Elicitation => support.elicitation,
            ClientFeature::Sampling => support.sampling,
            ClientFeature::Roots => support.roots,
        };
        if !supported {
            missing.insert(
                crate::plugins::client_feature_name(*feature).into(),
                json!({}),
            );
        }
    }
    if missing.is_empty() {
        return None;
    }
    serde_json::from_value(missing.into()).ok()
}

fn resource_contents(r: &EmbeddedResource) -> Value {
    let mut object = Map::new();
    object.insert("uri".into(), r.uri.clone().into());
    put(&mut object, "mimeType", r.mime_type.clone());
    match &r.contents {
        ResourceContents::Text(text) => object.insert("text".into(), text.clone().into()),
        ResourceContents::Blob(blob) => object.insert("blob".into(), BASE64.encode(blob).into()),
    };
    object.into()
}

fn content(content: &Content) -> Value {
    match content {
        Content::Text(t) => json!({"type": "text", "text": t.text}),
        Content::Image(b) => {
            json!({"type": "image", "data": BASE64.encode(&b.data), "mimeType": b.mime_type})
        }
        Content::Audio(b) => {
            json!({"type": "audio", "data": BASE64.encode(&b.data), "mimeType": b.mime_type})
        }
        Content::Resource(r) => json!({"type": "resource", "resource": resource_contents(r)}),
        Content::ResourceLink(l) => {
            let mut object = Map::new();
            object.insert("type".into(), "resource_link".into());
            object.insert("uri".into(), l.uri.clone().into());
            object.insert("name".into(), l.name.clone().into());
            put(&mut object, "title", l.title.clone());
            put(&mut object, "description", l.description.clone());
            put(&mut object, "mimeType", l.mime_type.clone());
            object.into()
        }
    }
}

/// A plugin's result as MCP's, moving its text rather than copying it (a
/// list page is tens of KiB) and without a detour through a JSON tree.
pub fn call_result(result: CallResult) -> Result<model::CallToolResult, model::ErrorData> {
    let content = result
        .content
        .into_iter()
        .map(|c| match c {
            Content::Text(t) => Ok(model::ContentBlock::text(t.text)),
            other => into(content(&other)),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut converted = if result.is_error {
        model::CallToolResult::error(content)
    } else {
        model::CallToolResult::success(content)
    };
    if let Some(structured) = &result.structured_content {
        let value = serde_json::from_str::<Value>(structured).map_err(|e| {
            model::ErrorData::internal_error(
                format!("the plugin's structured content is not JSON: {e}"),
                None,
            )
        })?;
        converted.structured_content = Some(value);
    }
    Ok(converted)
}

/// A tool error the model sees, as a result with `isError`.
pub fn error_result(message: &str) -> model::CallToolResult {
    model::CallToolResult::error(vec![model::ContentBlock::text(message)])
}

pub fn prompt(prompt: &Prompt) -> Result<model::Prompt, model::ErrorData> {
    let arguments: Vec<Value> = prompt
        .arguments
        .iter()
        .map(|a| {
            let mut object = Map::new();
            object.insert("name".into(), a.name.clone().into());
            put(&mut object, "title", a.title.clone());
            put(&mut object, "description", a.description.clone());
            object.insert("required".into(), a.required.into());
            object.into()
        })
        .collect();
    let mut object = Map::new();
    object.insert("name".into(), prompt.name.clone().into());
    put(&mut object, "title", prompt.title.clone());
    object.insert("description".into(), prompt.description.clone().into());
    object.insert("arguments".into(), arguments.into());
    into(object.into())
}

fn role(role: Role) -> &'static str {
    match role {
        Role::User => "user",
        Role::Assistant => "assistant",
    }
}

pub fn prompt_result(result: &PromptResult) -> Result<model::GetPromptResult, model::ErrorData> {
    let messages: Vec<Value> = result
        .messages
        .iter()
        .map(|m| json!({"role": role(m.role), "content": content(&m.content)}))
        .collect();
    let mut object = Map::new();
    put(&mut object, "description", result.description.clone());
    object.insert("messages".into(), messages.into());
    object.insert("resultType".into(), COMPLETE.into());
    into(object.into())
}

pub fn resource(r: &ResourceInfo) -> Result<model::Resource, model::ErrorData> {
    let mut object = Map::new();
    object.insert("uri".into(), r.uri.clone().into());
    object.insert("name".into(), r.name.clone().into());
    put(&mut object, "title", r.title.clone());
    put(&mut object, "description", r.description.clone());
    put(&mut object, "mimeType", r.mime_type.clone());
    put(&mut object, "size", r.size);
    into(object.into())
}

pub fn resource_template(
    t: &ResourceTemplate,
) -> Result<model::ResourceTemplate, model::ErrorData> {
    let mut object = Map::new();
    object.insert("uriTemplate".into(), t.uri_template.clone().into());
    object.insert("name".into(), t.name.clone().into());
    put(&mut object, "title", t.title.clone());
    put(&mut object, "description", t.description.clone());
    put(&mut object, "mimeType", t.mime_type.clone());
    into(object.into())
}

pub fn read_result(
    contents: &[EmbeddedResource],
) -> Result<model::ReadResourceResult, model::ErrorData> {
    into(json!({
        "contents": contents.iter().map(resource_contents).collect::<Vec<_>>(),
        "resultType": COMPLETE,
    }))
}

pub fn completion(c: &Completion) -> Result<model::CompleteResult, model::ErrorData> {
    let mut completion = Map::new();
    completion.insert("values".into(), c.values.clone().into());
    put(&mut completion, "total", c.total);
    completion.insert("hasMore".into(), c.has_more.into());
    into(json!({ "completion": completion, "resultType": COMPLETE }))
}

/// An elicitation request in MCP's form mode.
pub fn elicit_request(
    message: String,
    schema: Map<String, Value>,
) -> Result<model::ElicitRequestParams, ClientError> {
    serde_json::from_value(json!({"message": message, "requestedSchema": schema})).map_err(|e| {
        ClientError::Failed(format!(
            "requested-schema is not an elicitation schema: {e}"
        ))
    })
}

pub fn elicitation(result: model::ElicitResult) -> Result<Elicitation, ClientError> {
    let value = serde_json::to_value(&result)
        .map_err(|e| ClientError::Failed(format!("unreadable elicitation result: {e}")))?;
    match value.get("action").and_then(Value::as_str) {
        Some("accept") => Ok(Elicitation::Accept(
            value
                .get("content")
                .cloned()
                .unwrap_or_else(|| json!({}))
                .to_string(),
        )),
        Some("decline") => Ok(Elicitation::Decline),
        Some("cancel") => Ok(Elicitation::Cancel),
        other => Err(ClientError::Failed(format!(
            "the client answered with an unknown action {other:?}"
        ))),
    }
}

fn sampling_content(content: &SamplingContent) -> Value {
    match content {
        SamplingContent::Text(text) => json!({"type": "text", "text": text}),
        SamplingContent::Image(b) => {
            json!({"type": "image", "data": BASE64.encode(&b.data), "mimeType": b.mime_type})
        }
        SamplingContent::Audio(b) => {
            json!({"type": "audio", "data": BASE64.encode(&b.data), "mimeType": b.mime_type})
        }
    }
}

pub fn sampling_request(
    request: &SamplingRequest,
) -> Result<model::CreateMessageRequestParams, ClientError> {
    let messages: Vec<Value> = request
        .messages
        .iter()
        .map(|m| json!({"role": role(m.role), "content": sampling_content(&m.content)}))
        .collect();
    let mut object = Map::new();
    object.insert("messages".into(), messages.into());
    object.insert("maxTokens".into(), request.max_tokens.into());
    put(&mut object, "systemPrompt", request.system_prompt.clone());
    put(&mut object, "temperature", request.temperature);
    if !request.stop_sequences.is_empty() {
        object.insert(
            "stopSequences".into(),
            request.stop_sequences.clone().into(),
        );
    }
    if !request.model_hints.is_empty() {
        let hints: Vec<Value> = request
            .model_hints
            .iter()
            .map(|h| json!({"name": h}))
            .collect();
        object.insert("modelPreferences".into(), json!({ "hints": hints }));
    }
    serde_json::from_value(object.into())
        .map_err(|e| ClientError::Failed(format!("invalid sampling request: {e}")))
}

pub fn sampling_response(
    result: model::CreateMessageResult,
) -> Result<SamplingResponse, ClientError> {
    let value = serde_json::to_value(&result)
        .map_err(|e| ClientError::Failed(format!("unreadable sampling result: {e}")))?;
    let role = match value.get("role").and_then(Value::as_str) {
        Some("assistant") => Role::Assistant,
        _ => Role::User,
    };
    // A single content block, or (newer revisions) a list of them.
    let block = match value.get("content") {
        Some(Value::Array(items)) => items.first().cloned().unwrap_or(Value::Null),
        Some(other) => other.clone(),
        None => Value::Null,
    };
    let decode = |b: &Value| {
        BASE64
            .decode(b.get("data").and_then(Value::as_str).unwrap_or_default())
            .unwrap_or_default()
    };
    let mime = |b: &Value| {
        b.get("mimeType")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let content = match block.get("type").and_then(Value::as_str) {
        Some("image") => SamplingContent::Image(crate::wit::types::BinaryContent {
            data: decode(&block),
            mime_type: mime(&block),
        }),
        Some("audio") => SamplingContent::Audio(crate::wit::types::BinaryContent {
            data: decode(&block),
            mime_type: mime(&block),
        }),
        _ => SamplingContent::Text(
            block
                .get("text")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        ),
    };
    Ok(SamplingResponse {
        role,
        content,
        model: value
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        stop_reason: value
            .get("stopReason")
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}

/// A plugin's question as the request a 2026-07-28 client finds in
/// `inputRequests`.
pub fn input_request(question: &Question) -> Result<model::InputRequest, ClientError> {
    let (method, params) = match question {
        Question::Elicit { message, schema } => (
            "elicitation/create",
            serde_json::to_value(elicit_request(message.clone(), schema.clone())?),
        ),
        Question::CreateMessage(request) => (
            "sampling/createMessage",
            serde_json::to_value(sampling_request(request)?),
        ),
        Question::ListRoots => ("roots/list", Ok(json!({}))),
    };
    let params =
        params.map_err(|e| ClientError::Failed(format!("unwritable {method} request: {e}")))?;
    serde_json::from_value(json!({ "method": method, "params": params }))
        .map_err(|e| ClientError::Failed(format!("invalid {method} request: {e}")))
}

/// A client's answer (its result object, as JSON) to a question, or why it
/// is not one.
pub fn answer(question: &Question, value: Value) -> Result<Answer, String> {
    match question {
        Question::Elicit { .. } => {
            let result: model::ElicitResult = serde_json::from_value(value)
                .map_err(|e| format!("not an elicitation result: {e}"))?;
            elicitation(result).map(Answer::Elicitation).map_err(why)
        }
        Question::CreateMessage(_) => {
            let result: model::CreateMessageResult =
                serde_json::from_value(value).map_err(|e| format!("not a sampling result: {e}"))?;
            sampling_response(result).map(Answer::Message).map_err(why)
        }
        Question::ListRoots => {
            let result: model::ListRootsResult = serde_json::from_value(value)
                .map_err(|e| format!("not a roots/list result: {e}"))?;
            Ok(Answer::Roots(roots(result)))
        }
    }
}

fn why(error: ClientError) -> String {
    match error {
        ClientError::Failed(why) => why,
        ClientError::Unsupported => "unsupported".into(),
    }
}

pub fn roots(result: model::ListRootsResult) -> Vec<Root> {
    result
        .roots
        .into_iter()
        .map(|r| Root {
            uri: r.uri,
            name: r.name,
        })
        .collect()
}
