//! The MCP server handler: plugins' tools, prompts, resources and
//! completions, served to one client (session) at a time. Each request is
//! handed to the file that serves it (`tool_call`, `listing`, `exports`);
//! this one keeps what belongs to the session.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use rmcp::ErrorData;
use rmcp::handler::server::ServerHandler;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CancelTaskParams, CompleteRequestParams,
    CompleteResult, GetPromptRequestParams, GetPromptResponse, GetTaskParams, GetTaskResult,
    Implementation, InitializeResult, ListPromptsResult, ListResourceTemplatesResult,
    ListResourcesResult, ListToolsResult, PaginatedRequestParams, ReadResourceRequestParams,
    ReadResourceResponse, ServerCapabilities, SetLevelRequestParams, SubscribeRequestParams,
    SubscriptionFilter, UnsubscribeRequestParams, UpdateTaskParams,
};
use rmcp::service::{NotificationContext, RequestContext, RoleServer, SubscriptionContext};

use super::caller::RequestCaller;
use super::listing::{ListedResource, visible_page};
use super::request::InRequest;
use super::sessions::Changes;
use super::shared::Shared;
use super::{contexts, convert, exports, tool_call};
use crate::policy::tools::Export;

/// One session's handler (in stateless mode, one request's).
#[derive(Clone)]
pub struct McpHandler {
    shared: Shared,
    /// The severity the client asked log messages from (`logging/setLevel`).
    log_severity: Arc<Mutex<Option<usize>>>,
    /// Resource URIs the client subscribed to.
    subscriptions: Arc<Mutex<HashSet<String>>>,
}

impl McpHandler {
    pub fn new(shared: Shared) -> McpHandler {
        McpHandler {
            shared,
            log_severity: Arc::default(),
            subscriptions: Arc::default(),
        }
    }

    /// The request `context` belongs to, as the files that serve it see it.
    fn request<'a>(&'a self, context: &'a RequestContext<RoleServer>) -> InRequest<'a> {
        let severity = *self.log_severity.lock().expect("log level lock");
        InRequest::new(&self.shared, context, severity)
    }
}

impl ServerHandler for McpHandler {
    fn get_info(&self) -> InitializeResult {
        let mut capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_tool_list_changed()
            .enable_prompts()
            .enable_prompts_list_changed()
            .enable_resources()
            .enable_resources_list_changed()
            .enable_resources_subscribe()
            .enable_completions()
            .enable_logging()
            .enable_tasks()
            .build();
        // MCP Apps: views are offered to clients that declare the extension.
        let apps = serde_json::Map::from_iter([(
            "mimeTypes".to_owned(),
            serde_json::json!([crate::apps::VIEW_MIME_TYPE]),
        )]);
        capabilities
            .extensions
            .get_or_insert_with(Default::default)
            .insert(crate::apps::EXTENSION.into(), apps);
        InitializeResult::new(capabilities)
            .with_server_info(
                Implementation::new("kube-mcp", env!("CARGO_PKG_VERSION"))
                    .with_title("kube-mcp")
                    .with_website_url("https://github.com/kube-mcp/kube-mcp"),
            )
            .with_instructions(
                "Kubernetes tools. Each tool's description says what it reads or changes; \
                 tools that change the cluster are annotated as destructive.",
            )
    }

    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        self.shared
            .sessions
            .join(context.peer.clone(), self.subscriptions.clone());
    }

    async fn list_tools(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let request_of = self.request(&context);
        let registry = self.shared.plugins.registry();
        let clusters = self.shared.clusters();
        // App-only tools exist only for clients that declared MCP Apps.
        let apps = request_of.shows_apps();
        let for_client = |e: &Export| {
            registry
                .tool(e.name)
                .is_none_or(|(p, _)| p.views.offered(e.name, apps))
        };
        let (mut tools, next_cursor) = if clusters.several() {
            // Each tool shows the clusters this caller may use it on.
            let (shown, next) = visible_page(
                registry.tools(),
                |e| for_client(e) && !contexts::allowed_clusters(&request_of, e).is_empty(),
                request,
            )?;
            let tools = shown
                .into_iter()
                .map(|mut tool| {
                    if let Some((plugin, declared)) = registry.tool(&tool.name)
                        && !contexts::declares_context(declared)
                    {
                        let export = Export::tool(&tool.name, plugin.name());
                        let allowed = contexts::allowed_clusters(&request_of, &export);
                        contexts::add_context(&mut tool, &allowed, clusters.default_name());
                    }
                    tool
                })
                .collect();
            (tools, next)
        } else {
            visible_page(
                registry.tools(),
                |e| for_client(e) && request_of.permits(e, ""),
                request,
            )?
        };
        if apps {
            for tool in &mut tools {
                if let Some((plugin, _)) = registry.tool(&tool.name) {
                    let link = plugin.views.link(&tool.name);
                    tool.meta
                        .get_or_insert_with(Default::default)
                        .insert("ui".into(), crate::apps::meta::tool_ui(link));
                }
            }
        }
        let mut result = ListToolsResult::with_all_items(tools);
        result.next_cursor = next_cursor;
        Ok(result)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        tool_call::call_tool(&self.request(&context), request).await
    }

    async fn list_prompts(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        let request_of = self.request(&context);
        let registry = self.shared.plugins.registry();
        let (prompts, next_cursor) =
            visible_page(registry.prompts(), |e| request_of.permits(e, ""), request)?;
        let mut result = ListPromptsResult::with_all_items(prompts);
        result.next_cursor = next_cursor;
        Ok(result)
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        exports::get_prompt(&self.request(&context), request).await
    }

    async fn list_resources(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let request_of = self.request(&context);
        let registry = self.shared.plugins.registry();
        let mut items: Vec<_> = registry
            .resources()
            .map(|(p, r)| (p, ListedResource::Resource(r)))
            .collect();
        // Views are resources only for clients that declared MCP Apps.
        if request_of.shows_apps() {
            items.extend(registry.views().map(|(p, v)| (p, ListedResource::View(v))));
        }
        let (resources, next_cursor) = visible_page(
            items.iter().map(|(p, item)| (*p, item)),
            |e| request_of.permits(e, ""),
            request,
        )?;
        let mut result = ListResourcesResult::with_all_items(resources);
        result.next_cursor = next_cursor;
        Ok(result)
    }

    async fn list_resource_templates(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        let request_of = self.request(&context);
        let registry = self.shared.plugins.registry();
        let (templates, next_cursor) =
            visible_page(registry.templates(), |e| request_of.permits(e, ""), request)?;
        let mut result = ListResourceTemplatesResult::with_all_items(templates);
        result.next_cursor = next_cursor;
        Ok(result)
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        exports::read_resource(&self.request(&context), request).await
    }

    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        if !exports::may_subscribe(&self.request(&context), &request.uri) {
            return Err(ErrorData::resource_not_found(
                format!("no resource '{}'", request.uri),
                None,
            ));
        }
        self.subscriptions
            .lock()
            .expect("subscriptions lock")
            .insert(request.uri);
        Ok(())
    }

    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.subscriptions
            .lock()
            .expect("subscriptions lock")
            .remove(&request.uri);
        Ok(())
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        exports::complete(&self.request(&context), request).await
    }

    /// 2026-07-28 clients hear about changes on a `subscriptions/listen`
    /// stream instead of a session; every kind is offered.
    fn accepted_subscription_filter(
        &self,
        requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        Some(requested.clone())
    }

    async fn listen(&self, context: SubscriptionContext) -> Result<(), ErrorData> {
        let plugins = &self.shared.plugins;
        let mut generations = plugins.subscribe();
        let mut before = plugins.registry();
        loop {
            tokio::select! {
                () = context.cancelled() => return Ok(()),
                changed = generations.changed() => {
                    if changed.is_err() {
                        return Ok(());
                    }
                }
            }
            let after = plugins.registry();
            let changes = Changes::between(&before, &after);
            let sink = context.sink();
            let accepted = context.accepted();
            // Only kinds the client asked for: the sink refuses the rest.
            let wants = |kind: Option<bool>| kind == Some(true);
            let sent = async {
                if changes.tools && wants(accepted.tools_list_changed) {
                    sink.notify_tool_list_changed().await?;
                }
                if changes.prompts && wants(accepted.prompts_list_changed) {
                    sink.notify_prompt_list_changed().await?;
                }
                if changes.resources && wants(accepted.resources_list_changed) {
                    sink.notify_resource_list_changed().await?;
                }
                for uri in accepted.resource_subscriptions.iter().flatten() {
                    if changes.resource_changed(&before, &after, uri) {
                        sink.notify_resource_updated(uri.clone()).await?;
                    }
                }
                Ok::<_, rmcp::service::SubscriptionSendError>(())
            }
            .await;
            if let Err(e) = sent {
                tracing::debug!("subscription stream ended: {e}");
                return Ok(());
            }
            before = after;
        }
    }

    /// The tool rmcp checks `Mcp-Param-*` headers against (SEP-2243).
    fn get_tool(&self, name: &str) -> Option<rmcp::model::Tool> {
        let registry = self.shared.plugins.registry();
        let (_, tool) = registry.tool(name)?;
        convert::tool(tool).ok()
    }

    async fn get_task(
        &self,
        request: GetTaskParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetTaskResult, ErrorData> {
        let caller = RequestCaller::of(&context);
        let task = self.shared.tasks.get(caller.id(), &request.task_id)?;
        Ok(GetTaskResult::new(task))
    }

    async fn update_task(
        &self,
        request: UpdateTaskParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let caller = RequestCaller::of(&context);
        self.shared
            .tasks
            .update(caller.id(), &request.task_id, request.input_responses)
    }

    async fn cancel_task(
        &self,
        request: CancelTaskParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let caller = RequestCaller::of(&context);
        self.shared.tasks.cancel(caller.id(), &request.task_id)
    }

    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let level = rank(request.level);
        *self.log_severity.lock().expect("log level lock") = Some(level);
        Ok(())
    }
}

/// The RFC 5424 rank of an MCP log level, least severe first (the order of
/// [`super::peer::LOG_LEVELS`]). rmcp marks the type deprecated along with
/// `logging/setLevel`, which 2025 clients still send.
#[allow(deprecated)]
fn rank(level: rmcp::model::LoggingLevel) -> usize {
    use rmcp::model::LoggingLevel as L;
    match level {
        L::Debug => 0,
        L::Info => 1,
        L::Notice => 2,
        L::Warning => 3,
        L::Error => 4,
        L::Critical => 5,
        L::Alert => 6,
        L::Emergency => 7,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mcp::peer::severity;

    #[test]
    #[allow(deprecated)]
    fn log_levels_rank_as_their_names_do() {
        use rmcp::model::LoggingLevel as L;
        for level in [
            L::Debug,
            L::Info,
            L::Notice,
            L::Warning,
            L::Error,
            L::Critical,
            L::Alert,
            L::Emergency,
        ] {
            let name = serde_json::to_value(level).unwrap();
            assert_eq!(
                Some(rank(level)),
                severity(name.as_str().unwrap()),
                "{name}"
            );
        }
    }
}
