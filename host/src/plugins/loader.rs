//! Loading plugins from a directory: read, compile, link, describe, check.
//!
//! A file that fails any step is reported with its path and the reason and
//! skipped; it never stops the others from loading.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use wasmtime::Engine;
use wasmtime::component::Linker;

use super::cache::CodeCache;
use super::call::{CallState, Sandbox};
use super::context::CallContext;
use super::engine::{engine_config, new_engine};
use super::guest_log::LogBudget;
use super::plugin::{Description, Exports, Plugin};
use super::settings::PluginSettings;
use crate::distribution::TrustRefusal;
use crate::kube::{Cluster, ClusterSet, KubeAccess, requested_capability};
use crate::text::with_causes;
use crate::wit;
use crate::wit::types::{PluginInfo, Tool};

/// Why one plugin file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read the file: {0}")]
    Read(#[source] std::io::Error),
    #[error("not a valid WebAssembly component: {}", with_causes(.0.as_ref()))]
    Compile(#[source] Cause),
    /// Built against a newer `kube-mcp:plugin` package, and calls what this
    /// server does not have (each function, and the package version the
    /// plugin imports it from).
    #[error(
        "needs what this server does not have: {}; this server implements kube-mcp:plugin@{}: upgrade the server, or build the plugin against that version",
        .missing.join(", "), .host_version
    )]
    Incompatible {
        missing: Vec<String>,
        host_version: String,
    },
    #[error("does not fit the kube-mcp:plugin tool-plugin world: {}", with_causes(.0.as_ref()))]
    Link(#[source] Cause),
    #[error("failed while describing itself: {}", with_causes(.0.as_ref()))]
    Describe(#[source] Cause),
    #[error("invalid description: {0}")]
    Invalid(String),
    #[error("{0}")]
    Collision(String),
    /// Not trusted: unsigned, signed by the wrong key, or tampered with.
    #[error("refused: {0}")]
    Refused(#[from] TrustRefusal),
}

/// The error beneath a load failure (wasmtime's, or a task's), kept whole.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

/// A file that was not loaded, and why.
#[derive(Debug)]
pub struct LoadFailure {
    pub path: PathBuf,
    pub error: LoadError,
}

/// Compiles and links plugin components. One per server.
pub struct Runtime {
    engine: Engine,
    linker: Arc<Linker<CallState>>,
    settings: PluginSettings,
    cache: Arc<CodeCache>,
    /// Each plugin's log budget outlives reloads of that plugin.
    log_budgets: Mutex<HashMap<String, Arc<LogBudget>>>,
    /// Where plugins' allowed Kubernetes requests go.
    clusters: Arc<ClusterSet>,
    /// Calls of one plugin at once.
    calls_per_plugin: usize,
    /// Calls of one caller at once, shared by every plugin.
    callers: Arc<super::busy::CallerSlots>,
}

impl Runtime {
    /// A runtime whose compiled code is cached in `cache_dir` (if any).
    pub fn new(settings: PluginSettings, cache_dir: Option<PathBuf>) -> wasmtime::Result<Runtime> {
        Self::with_engine_config(settings, cache_dir, &engine_config())
    }

    /// A runtime on an engine configured differently, for benchmarks that
    /// compare against a default wasmtime setup. Epoch interruption must be
    /// on: deadlines depend on it.
    #[doc(hidden)]
    pub fn with_engine_config(
        settings: PluginSettings,
        cache_dir: Option<PathBuf>,
        config: &wasmtime::Config,
    ) -> wasmtime::Result<Runtime> {
        let engine = new_engine(config)?;
        let cache = Arc::new(CodeCache::new(cache_dir, &engine));
        let mut linker = Linker::new(&engine);
        // A std guest imports WASI; it gets the interfaces backed by an
        // empty context (see `CallState::new_store`).
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        // Some toolchains import wasi:http unasked; every request is refused.
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
        // Each interface works on what it needs: `kubernetes` on a
        // [`KubeView`](crate::kube::KubeView), the small ones on the state.
        use wasmtime::component::HasSelf;
        type State = HasSelf<CallState>;
        wit::types::add_to_linker::<_, State>(&mut linker, |state| state)?;
        wit::log::add_to_linker::<_, State>(&mut linker, |state| state)?;
        wit::config::add_to_linker::<_, State>(&mut linker, |state| state)?;
        wit::progress::add_to_linker::<_, State>(&mut linker, |state| state)?;
        wit::client::add_to_linker::<_, State>(&mut linker, |state| state)?;
        wit::kubernetes::add_to_linker::<_, crate::kube::KubeHost>(
            &mut linker,
            CallState::kube_view,
        )?;
        Ok(Runtime {
            engine,
            linker: Arc::new(linker),
            settings,
            cache,
            log_budgets: Mutex::default(),
            clusters: Arc::default(),
            calls_per_plugin: super::busy::MAX_CALLS_PER_PLUGIN,
            callers: Arc::new(super::busy::CallerSlots::new(
                super::busy::MAX_CALLS_PER_CALLER,
            )),
        })
    }

    /// The same runtime with other concurrency limits (tests).
    pub fn with_concurrency(mut self, per_plugin: usize, per_caller: usize) -> Runtime {
        self.calls_per_plugin = per_plugin;
        self.callers = Arc::new(super::busy::CallerSlots::new(per_caller));
        self
    }

    /// Sends plugins' Kubernetes requests (those their grants allow) to
    /// `cluster`. Without one, they fail as `unavailable`.
    pub fn with_cluster(self, cluster: Arc<dyn Cluster>) -> Runtime {
        self.with_clusters(Arc::new(ClusterSet::single(cluster)))
    }

    /// Sends plugins' Kubernetes requests to the cluster each call is
    /// aimed at, one of `clusters`.
    pub fn with_clusters(mut self, clusters: Arc<ClusterSet>) -> Runtime {
        self.clusters = clusters;
        self
    }

    /// The clusters plugins' requests go to.
    pub fn clusters(&self) -> &Arc<ClusterSet> {
        &self.clusters
    }

    /// Loads one plugin file.
    pub async fn load_file(&self, path: &Path) -> Result<Plugin, LoadError> {
        let bytes = tokio::fs::read(path).await.map_err(LoadError::Read)?;
        self.load_bytes(path, bytes).await
    }

    /// Compiles, links and describes a plugin; `path` is where it came from.
    pub async fn load_bytes(&self, path: &Path, bytes: Vec<u8>) -> Result<Plugin, LoadError> {
        let (engine, cache) = (self.engine.clone(), self.cache.clone());
        // Compilation is CPU-bound: keep it off the async workers.
        let component = tokio::task::spawn_blocking(move || cache.component(&engine, &bytes))
            .await
            .map_err(|e| LoadError::Compile(Box::new(e)))?
            .map_err(|e| LoadError::Compile(e.into()))?;
        let package = super::compat::HostPackage::this_host();
        let missing = package.missing(&self.engine, &component);
        if !missing.is_empty() {
            return Err(LoadError::Incompatible {
                missing,
                host_version: package.version.clone(),
            });
        }
        let pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(|e| LoadError::Link(e.into()))?;
        let exports = Exports::new(&pre).map_err(|e| LoadError::Link(e.into()))?;

        let file_name = path.file_name().unwrap_or_default().to_string_lossy();
        // Described under the default limits, with no Kubernetes access,
        // before its name is known.
        let describing = self.sandbox(&file_name, &[]);
        let nobody = CallContext::anonymous();
        let mut store = CallState::new_store(&self.engine, &describing, nobody)
            .map_err(|e| LoadError::Describe(e.into()))?;
        let describe = async {
            let instance = pre.instantiate_async(&mut store).await?;
            let initial_memory = store.data().memory_used();
            let provider = exports.tools.load(&mut store, &instance)?;
            let info = provider.call_describe(&mut store).await?;
            let tools = provider.call_tools(&mut store).await?;
            let prompts = match &exports.prompts {
                Some(p) => {
                    p.load(&mut store, &instance)?
                        .call_prompts(&mut store)
                        .await?
                }
                None => Vec::new(),
            };
            let (resources, templates) = match &exports.resources {
                Some(r) => {
                    let provider = r.load(&mut store, &instance)?;
                    let resources = provider.call_resources(&mut store).await?;
                    let templates = provider.call_resource_templates(&mut store).await?;
                    (resources, templates)
                }
                None => (Vec::new(), Vec::new()),
            };
            let execution = match &exports.execution {
                Some(e) => {
                    e.load(&mut store, &instance)?
                        .call_executions(&mut store)
                        .await?
                }
                None => Vec::new(),
            };
            let (views, tool_views) = match &exports.apps {
                Some(a) => {
                    let provider = a.load(&mut store, &instance)?;
                    let views = provider.call_views(&mut store).await?;
                    let tool_views = provider.call_tool_views(&mut store).await?;
                    (views, tool_views)
                }
                None => (Vec::new(), Vec::new()),
            };
            wasmtime::Result::<_>::Ok(Description {
                info,
                tools,
                prompts,
                resources,
                templates,
                execution,
                views,
                tool_views,
                initial_memory,
            })
        };
        let mut description = describe
            .await
            .map_err(|e: wasmtime::Error| LoadError::Describe(e.into()))?;
        check_description(&description).map_err(LoadError::Invalid)?;
        let info = &description.info;
        let tool_names = description.tools.iter().map(|t| t.name.as_str()).collect();
        let granted = self.settings.app_domains_for(&info.name);
        let checked = crate::apps::check::check(
            &info.name,
            &tool_names,
            std::mem::take(&mut description.views),
            std::mem::take(&mut description.tool_views),
            granted,
        )
        .map_err(LoadError::Invalid)?;
        for asked in &checked.ungranted {
            tracing::warn!(
                plugin = %info.name,
                "view asks for {asked}, which plugins.overrides.{}.apps.domains does not grant: \
                 left out of the CSP clients are told",
                info.name
            );
        }
        if !info.capabilities.is_empty() && self.settings.grants_for(&info.name).is_empty() {
            tracing::warn!(
                plugin = %info.name,
                requested = info.capabilities.len(),
                "the plugin requests Kubernetes access but plugins.grants has no entry for it: \
                 every Kubernetes call it makes will be denied"
            );
        }

        let sandbox = self.sandbox(&info.name, &info.capabilities);
        let plugin = Plugin::new(
            path.to_owned(),
            description,
            checked,
            exports,
            pre,
            self.engine.clone(),
            sandbox,
        );
        if let Some(warning) = plugin.memory_warning() {
            tracing::warn!(plugin = %plugin.info.name, "{warning}");
        }
        Ok(plugin)
    }

    /// The per-plugin settings (limits, grants, pins).
    pub fn settings(&self) -> &PluginSettings {
        &self.settings
    }

    /// Components compiled, and components loaded from the cache, so far.
    pub fn compilations(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        let stats = &self.cache.stats;
        (stats.compiled.load(Relaxed), stats.from_cache.load(Relaxed))
    }

    /// The limits, directory, log budget and Kubernetes access of plugin
    /// `name`, which requested `requested`.
    fn sandbox(&self, name: &str, requested: &[crate::wit::types::Capability]) -> Sandbox {
        let log_budget = self
            .log_budgets
            .lock()
            .expect("log budgets lock")
            .entry(name.to_owned())
            .or_default()
            .clone();
        Sandbox {
            plugin: name.into(),
            limits: self.settings.limits_for(name),
            directory: self.settings.directory_for(name).cloned(),
            settings: Arc::new(self.settings.settings_for(name)),
            slots: super::busy::Slots::new(self.calls_per_plugin, self.callers.clone()),
            log_budget,
            kube: KubeAccess {
                requested: requested.iter().map(requested_capability).collect(),
                granted: self.settings.grants_for(name).into(),
                clusters: self.clusters.clone(),
                on: None,
            },
        }
    }
}

/// Names, URIs and schemas must be usable before a plugin is offered to
/// anyone.
fn check_description(description: &Description) -> Result<(), String> {
    check_tools(&description.info, &description.tools)?;
    let mut seen = std::collections::HashSet::new();
    for prompt in &description.prompts {
        if !mcp_name(&prompt.name) {
            return Err(format!(
                "prompt name '{}' must be 1-128 characters of A-Z, a-z, 0-9, '_', '-', '.'",
                prompt.name
            ));
        }
        if !seen.insert(prompt.name.as_str()) {
            return Err(format!("prompt '{}' is declared twice", prompt.name));
        }
    }
    let mut seen = std::collections::HashSet::new();
    for resource in &description.resources {
        url::Url::parse(&resource.uri)
            .map_err(|e| format!("resource URI '{}' is not a URI: {e}", resource.uri))?;
        if resource.uri.starts_with(crate::apps::SCHEME) {
            return Err(format!(
                "resource '{}': ui:// URIs are views (MCP Apps): declare them through \
                 app-provider",
                resource.uri
            ));
        }
        if !seen.insert(resource.uri.as_str()) {
            return Err(format!("resource '{}' is declared twice", resource.uri));
        }
    }
    for template in &description.templates {
        if template.uri_template.starts_with(crate::apps::SCHEME) {
            return Err(format!(
                "resource template '{}': ui:// URIs are views (MCP Apps): declare them \
                 through app-provider",
                template.uri_template
            ));
        }
        if !template.uri_template.contains("://") && !template.uri_template.contains(':') {
            return Err(format!(
                "resource template '{}' has no URI scheme",
                template.uri_template
            ));
        }
    }
    let mut seen = std::collections::HashSet::new();
    for execution in &description.execution {
        if !description.tools.iter().any(|t| t.name == execution.tool) {
            return Err(format!(
                "tool-execution names tool '{}', which the plugin does not offer",
                execution.tool
            ));
        }
        if !seen.insert(execution.tool.as_str()) {
            return Err(format!(
                "tool-execution names tool '{}' twice",
                execution.tool
            ));
        }
    }
    Ok(())
}

/// MCP's rule for tool (and here prompt) names.
fn mcp_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

fn check_tools(info: &PluginInfo, tools: &[Tool]) -> Result<(), String> {
    let name_ok = !info.name.is_empty()
        && info.name.len() <= 63
        && info
            .name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !info.name.starts_with('-');
    if !name_ok {
        return Err(format!(
            "plugin name '{}' must be 1-63 lowercase letters, digits and '-'",
            info.name
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for tool in tools {
        if !mcp_name(&tool.name) {
            return Err(format!(
                "tool name '{}' must be 1-128 characters of A-Z, a-z, 0-9, '_', '-', '.'",
                tool.name
            ));
        }
        if !seen.insert(tool.name.as_str()) {
            return Err(format!("tool '{}' is declared twice", tool.name));
        }
        check_schema(&tool.input_schema, true)
            .map_err(|e| format!("tool '{}': input schema {e}", tool.name))?;
        if let Some(schema) = &tool.output_schema {
            check_schema(schema, true)
                .map_err(|e| format!("tool '{}': output schema {e}", tool.name))?;
        }
    }
    Ok(())
}

/// MCP requires tool schemas to be JSON Schema objects of `"type": "object"`.
fn check_schema(schema: &str, must_be_object_type: bool) -> Result<(), String> {
    let value: serde_json::Value =
        serde_json::from_str(schema).map_err(|e| format!("is not valid JSON: {e}"))?;
    let object = value.as_object().ok_or("must be a JSON object")?;
    if must_be_object_type && object.get("type").and_then(|t| t.as_str()) != Some("object") {
        return Err("must have \"type\": \"object\"".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wit::types::ToolAnnotations;

    fn info(name: &str) -> PluginInfo {
        PluginInfo {
            name: name.into(),
            version: "1.0.0".into(),
            description: String::new(),
            capabilities: Vec::new(),
        }
    }

    fn tool(name: &str, schema: &str) -> Tool {
        Tool {
            name: name.into(),
            title: None,
            description: String::new(),
            input_schema: schema.into(),
            output_schema: None,
            annotations: ToolAnnotations {
                read_only_hint: None,
                destructive_hint: None,
                idempotent_hint: None,
                open_world_hint: None,
            },
        }
    }

    const OBJECT: &str = r#"{"type":"object"}"#;

    fn check_description(info: &PluginInfo, tools: &[Tool]) -> Result<(), String> {
        super::check_description(&Description {
            info: info.clone(),
            tools: tools.to_vec(),
            prompts: Vec::new(),
            resources: Vec::new(),
            templates: Vec::new(),
            execution: Vec::new(),
            views: Vec::new(),
            tool_views: Vec::new(),
            initial_memory: 0,
        })
    }

    #[test]
    fn execution_must_name_offered_tools_once() {
        use crate::wit::tool_execution::{Execution, TaskSupport};
        let execution = |tool: &str| Execution {
            tool: tool.into(),
            task_support: TaskSupport::Optional,
            requires: Vec::new(),
        };
        let description = |execution: Vec<Execution>| Description {
            info: info("ops"),
            tools: vec![tool("restart", OBJECT)],
            prompts: Vec::new(),
            resources: Vec::new(),
            templates: Vec::new(),
            execution,
            views: Vec::new(),
            tool_views: Vec::new(),
            initial_memory: 0,
        };
        super::check_description(&description(vec![execution("restart")])).unwrap();
        assert_eq!(
            super::check_description(&description(vec![execution("wait")])).unwrap_err(),
            "tool-execution names tool 'wait', which the plugin does not offer"
        );
        assert_eq!(
            super::check_description(&description(vec![
                execution("restart"),
                execution("restart")
            ]))
            .unwrap_err(),
            "tool-execution names tool 'restart' twice"
        );
    }

    #[test]
    fn good_descriptions_pass() {
        check_description(
            &info("kube-core"),
            &[tool("list_pods", OBJECT), tool("a.b-c", OBJECT)],
        )
        .unwrap();
    }

    #[test]
    fn bad_names_and_schemas_are_explained() {
        let err = check_description(&info("Kube Core"), &[]).unwrap_err();
        assert!(err.contains("plugin name 'Kube Core'"), "{err}");
        let err = check_description(&info("p"), &[tool("list pods", OBJECT)]).unwrap_err();
        assert!(err.contains("tool name 'list pods'"), "{err}");
        let err =
            check_description(&info("p"), &[tool("t", OBJECT), tool("t", OBJECT)]).unwrap_err();
        assert!(err.contains("declared twice"), "{err}");
        let err = check_description(&info("p"), &[tool("t", "{not json")]).unwrap_err();
        assert!(
            err.contains("tool 't': input schema is not valid JSON"),
            "{err}"
        );
        let err = check_description(&info("p"), &[tool("t", r#"{"type":"string"}"#)]).unwrap_err();
        assert!(err.contains("\"type\": \"object\""), "{err}");
    }
}
