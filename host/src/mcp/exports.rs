//! `prompts/get`, `resources/read` and `completion/complete`: each found in
//! the plugin that offers it, if the caller may use it, and run there under
//! the request deadline.

use rmcp::ErrorData;
use rmcp::model::{
    CompleteRequestParams, CompleteResult, GetPromptRequestParams, GetPromptResponse,
    PromptReference, ReadResourceRequestParams, ReadResourceResponse, Reference,
    ResourceTemplateReference,
};
use serde_json::Value;

use super::convert;
use super::peer::Asking;
use super::request::InRequest;
use super::tool_call::failure_error;
use crate::plugins::{CallFailure, Failure};
use crate::policy::tools::Export;
use crate::wit::types::{CompletionReference, PromptError, ResourceError};

/// Serves `prompts/get`.
pub async fn get_prompt(
    request: &InRequest<'_>,
    params: GetPromptRequestParams,
) -> Result<GetPromptResponse, ErrorData> {
    let registry = request.shared.plugins.registry();
    let name = params.name.clone();
    let unknown = || ErrorData::invalid_params(format!("unknown prompt '{name}'"), None);
    let found = registry
        .prompt(&name)
        .filter(|(p, _)| request.permits(&Export::prompt(&name, p.name()), "prompt get"));
    let Some((plugin, _)) = found else {
        return Err(unknown());
    };
    let plugin = plugin.clone();
    let raw_arguments = params.arguments.unwrap_or_default();
    let (asking, trip) = request.asking(
        ("prompts/get", &name, &Value::Object(raw_arguments.clone())),
        params.request_state.as_deref(),
        params.input_responses,
    )?;
    let arguments: Vec<(String, String)> = raw_arguments
        .into_iter()
        .map(|(k, v)| match v {
            Value::String(s) => (k, s),
            other => (k, other.to_string()),
        })
        .collect();
    request
        .run(asking, async |call| {
            match plugin.get_prompt(&name, &arguments, &call).await {
                Ok(Ok(result)) => convert::prompt_result(&result).map(GetPromptResponse::Complete),
                Err(CallFailure {
                    failure: Failure::InputRequired,
                    ..
                }) => Ok(GetPromptResponse::InputRequired(
                    request.input_required(trip.as_ref())?,
                )),
                Ok(Err(PromptError::UnknownPrompt(_))) => Err(unknown()),
                Ok(Err(PromptError::InvalidArguments(why))) => Err(ErrorData::invalid_params(
                    format!("invalid arguments: {why}"),
                    None,
                )),
                Err(failure) => Err(failure_error(&failure)),
            }
        })
        .await
}

/// The error for a resource that does not exist, or that the caller may
/// not read.
pub fn resource_not_found(uri: &str) -> ErrorData {
    ErrorData::resource_not_found(
        format!("no resource '{uri}'"),
        Some(serde_json::json!({ "uri": uri })),
    )
}

/// Serves `resources/read`.
pub async fn read_resource(
    request: &InRequest<'_>,
    params: ReadResourceRequestParams,
) -> Result<ReadResourceResponse, ErrorData> {
    let registry = request.shared.plugins.registry();
    let uri = params.uri.clone();
    if uri.starts_with(crate::apps::SCHEME) {
        return read_view(request, &uri);
    }
    let found = registry
        .resource_owner(&uri)
        .filter(|p| request.permits(&Export::resource(&uri, p.name()), "resource read"));
    let Some(plugin) = found else {
        return Err(resource_not_found(&uri));
    };
    let plugin = plugin.clone();
    let (asking, trip) = request.asking(
        ("resources/read", &uri, &Value::Null),
        params.request_state.as_deref(),
        params.input_responses,
    )?;
    request
        .run(asking, async |call| {
            match plugin.read_resource(&uri, &call).await {
                Ok(Ok(contents)) => {
                    convert::read_result(&contents).map(ReadResourceResponse::Complete)
                }
                Err(CallFailure {
                    failure: Failure::InputRequired,
                    ..
                }) => Ok(ReadResourceResponse::InputRequired(
                    request.input_required(trip.as_ref())?,
                )),
                Ok(Err(ResourceError::NotFound(_))) => Err(resource_not_found(&uri)),
                Ok(Err(ResourceError::Failed(why))) => Err(ErrorData::internal_error(
                    format!("cannot read '{uri}': {why}"),
                    None,
                )),
                Err(failure) => Err(failure_error(&failure)),
            }
        })
        .await
}

/// A view (MCP Apps), served from what its plugin declared at load: to
/// clients that declared the extension, when policy lets the caller read it.
fn read_view(request: &InRequest<'_>, uri: &str) -> Result<ReadResourceResponse, ErrorData> {
    let registry = request.shared.plugins.registry();
    let found = registry
        .view(uri)
        .filter(|_| request.shows_apps())
        .filter(|(p, _)| request.permits(&Export::resource(uri, p.name()), "resource read"));
    let Some((_, view)) = found else {
        return Err(resource_not_found(uri));
    };
    let result = serde_json::json!({ "contents": [crate::apps::meta::contents(view)] });
    serde_json::from_value(result)
        .map(ReadResourceResponse::Complete)
        .map_err(|e| ErrorData::internal_error(format!("view '{uri}': {e}"), None))
}

/// Whether the caller may subscribe to `uri`: it exists and they may read it.
pub fn may_subscribe(request: &InRequest<'_>, uri: &str) -> bool {
    let registry = request.shared.plugins.registry();
    registry
        .resource_owner(uri)
        .is_some_and(|p| request.permits(&Export::resource(uri, p.name()), "resource subscribe"))
}

/// Serves `completion/complete`.
pub async fn complete(
    request: &InRequest<'_>,
    params: CompleteRequestParams,
) -> Result<CompleteResult, ErrorData> {
    let registry = request.shared.plugins.registry();
    let (reference, plugin) = match params.r#ref {
        Reference::Prompt(PromptReference { name, .. }) => {
            let plugin = registry
                .prompt(&name)
                .map(|(p, _)| p.clone())
                .filter(|p| request.permits(&Export::prompt(&name, p.name()), "completion"));
            (CompletionReference::Prompt(name), plugin)
        }
        Reference::Resource(ResourceTemplateReference { uri, .. }) => {
            let plugin = registry
                .template_owner(&uri)
                .cloned()
                .filter(|p| request.permits(&Export::resource(&uri, p.name()), "completion"));
            (CompletionReference::ResourceTemplate(uri), plugin)
        }
        other => {
            return Err(ErrorData::invalid_params(
                format!("unknown completion reference {other:?}"),
                None,
            ));
        }
    };
    let Some(plugin) = plugin else {
        return Err(ErrorData::invalid_params(
            "no prompt or resource template of that name",
            None,
        ));
    };
    let arguments: Vec<(String, String)> = params
        .context
        .and_then(|c| c.arguments)
        .unwrap_or_default()
        .into_iter()
        .collect();
    let (argument, value) = (params.argument.name, params.argument.value);
    // Completions are quick lookups: their questions go unanswered
    // (2026-07-28 forbids asking on completion/complete).
    request
        .run(Asking::Never, async |call| {
            match plugin
                .complete(&reference, &argument, &value, &arguments, &call)
                .await
            {
                Ok(completion) => convert::completion(&completion),
                Err(failure) => Err(failure_error(&failure)),
            }
        })
        .await
}
