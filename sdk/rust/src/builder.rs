//! Describing tools and building results without writing JSON by hand.

use std::marker::PhantomData;

use schemars::JsonSchema;
use serde::Serialize;

use crate::app_provider::{ToolView, Visibility};
use crate::args::schema_of;
use crate::tool_execution::{ClientFeature, Execution, TaskSupport};
use crate::types::{CallResult, Content, Tool, ToolAnnotations};

/// Describes a tool whose arguments are `A` (its input schema is generated
/// from `A`). Finish with [`ToolBuilder::build`], or register it with its
/// handler in [`Tools::add`](crate::Tools::add), which parses each call's
/// arguments into the same `A`.
///
/// ```ignore
/// tool::<GreetArgs>("greet", "Greets someone by name.").read_only().build()
/// ```
pub fn tool<A: JsonSchema>(name: &str, description: &str) -> ToolBuilder<A> {
    ToolBuilder {
        tool: Tool {
            name: name.into(),
            title: None,
            description: description.into(),
            input_schema: String::new(),
            output_schema: None,
            annotations: ToolAnnotations::none(),
        },
        input_schema: InputSchema::Derived(schema_of::<A>),
        task_support: TaskSupport::Forbidden,
        requires: Vec::new(),
        view: None,
        visibility: Visibility::MODEL,
        arguments: PhantomData,
    }
}

/// Where a tool's input schema comes from.
#[derive(Clone, Copy)]
enum InputSchema {
    /// Made from the argument type when the tool is described, not when a
    /// call is routed: a call never pays for it.
    Derived(fn() -> String),
    /// Written out by the plugin ([`ToolBuilder::input_schema`]).
    Given(&'static str),
}

/// See [`tool`]. `A` is the type of the tool's arguments.
pub struct ToolBuilder<A = crate::NoArgs> {
    tool: Tool,
    input_schema: InputSchema,
    task_support: TaskSupport,
    requires: Vec<ClientFeature>,
    /// The view that renders its results (MCP Apps).
    view: Option<String>,
    visibility: Visibility,
    arguments: PhantomData<fn() -> A>,
}

impl<A> ToolBuilder<A> {
    /// A short human-readable title.
    pub fn title(mut self, title: &str) -> Self {
        self.tool.title = Some(title.into());
        self
    }

    /// Declares this input schema instead of the one derived from `A`, for
    /// a schema no Rust type describes (JSON Schema 2020-12 conditionals,
    /// `x-` keywords). Arguments are still parsed into `A`: use
    /// `serde_json::Value` to take them as they come.
    pub fn input_schema(mut self, schema: &'static str) -> Self {
        self.input_schema = InputSchema::Given(schema);
        self
    }

    /// Clients that support MCP Apps render this tool's results with the
    /// plugin's view at `uri` (one of [`Plugin::views`](crate::Plugin::views)),
    /// and the view may call the tool too. Other clients see the tool as
    /// before.
    pub fn view(mut self, uri: &str) -> Self {
        self.view = Some(uri.into());
        self.visibility = Visibility::MODEL | Visibility::APP;
        self
    }

    /// Views may call this tool too (MCP Apps visibility `["model",
    /// "app"]`), without rendering its results in one. A tool neither
    /// linked to a view nor marked so is the model's only: clients that
    /// support MCP Apps refuse a view's call to it.
    pub fn app_visible(mut self) -> Self {
        self.visibility = Visibility::MODEL | Visibility::APP;
        self
    }

    /// Only the plugin's views may call this tool (MCP Apps visibility
    /// `["app"]`): the model never sees it, and clients without MCP Apps
    /// cannot call it. Policy, grants and audit apply as to any call.
    pub fn app_only(mut self) -> Self {
        self.visibility = Visibility::APP;
        self
    }

    /// The tool only reads (MCP `readOnlyHint`), and is idempotent.
    pub fn read_only(mut self) -> Self {
        self.tool.annotations = ToolAnnotations::read_only();
        self
    }

    /// The tool may destroy things (MCP `destructiveHint`).
    pub fn destructive(mut self) -> Self {
        self.tool.annotations.read_only_hint = Some(false);
        self.tool.annotations.destructive_hint = Some(true);
        self
    }

    /// Every hint at once, for a tool that is neither plainly read-only nor
    /// plainly destructive.
    pub fn annotations(mut self, annotations: ToolAnnotations) -> Self {
        self.tool.annotations = annotations;
        self
    }

    /// The tool returns structured content of type `O` (its output schema).
    pub fn output<O: JsonSchema>(mut self) -> Self {
        self.tool.output_schema = Some(schema_of::<O>());
        self
    }

    /// The tool returns `kubernetes::list-page` rows as structured content
    /// ([`CallResult::page`]); declares their schema.
    pub fn list_output(mut self) -> Self {
        self.tool.output_schema = Some(crate::LIST_PAGE_SCHEMA.into());
        self
    }

    /// The tool returns a proxied GET's answer ([`CallResult::proxied`]);
    /// declares its schema.
    pub fn proxy_output(mut self) -> Self {
        self.tool.output_schema = Some(crate::PROXY_RESPONSE_SCHEMA.into());
        self
    }

    /// The tool may go on as a task (`progress.detach`): `optional` or
    /// `required` (see the `tool-execution` interface).
    pub fn task_support(mut self, support: TaskSupport) -> Self {
        self.task_support = support;
        self
    }

    /// The tool cannot work without this of the client.
    pub fn requires(mut self, feature: ClientFeature) -> Self {
        self.requires.push(feature);
        self
    }

    pub fn build(self) -> Tool {
        self.describe()
    }

    /// The tool's name.
    pub fn name(&self) -> &str {
        &self.tool.name
    }

    /// The tool as `tools` lists it.
    pub(crate) fn describe(&self) -> Tool {
        Tool {
            input_schema: match self.input_schema {
                InputSchema::Derived(schema) => schema(),
                InputSchema::Given(schema) => schema.to_owned(),
            },
            ..self.tool.clone()
        }
    }

    /// How the tool runs, as `executions` reports it.
    pub(crate) fn execution(&self) -> Execution {
        Execution {
            tool: self.tool.name.clone(),
            task_support: self.task_support,
            requires: self.requires.clone(),
        }
    }

    /// How the tool relates to views, when it does (`tool-views`).
    pub(crate) fn tool_view(&self) -> Option<ToolView> {
        (self.view.is_some() || self.visibility != Visibility::MODEL).then(|| ToolView {
            tool: self.tool.name.clone(),
            view: self.view.clone(),
            visibility: self.visibility,
        })
    }

    /// The same description, its argument type forgotten once the handler
    /// that parses it is bound.
    pub(crate) fn erase(self) -> ToolBuilder<()> {
        ToolBuilder {
            tool: self.tool,
            input_schema: self.input_schema,
            task_support: self.task_support,
            requires: self.requires,
            view: self.view,
            visibility: self.visibility,
            arguments: PhantomData,
        }
    }
}

impl CallResult {
    /// A result holding `value` as structured content, and as JSON text for
    /// clients that only read text.
    pub fn json<T: Serialize>(value: &T) -> Self {
        let json = serde_json::to_string(value).expect("a serializable value");
        CallResult {
            content: vec![Content::text(json.clone())],
            structured_content: Some(json),
            is_error: false,
        }
    }
}
