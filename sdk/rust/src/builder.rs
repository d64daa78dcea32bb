//! Describing tools and building results without writing JSON by hand.

use schemars::JsonSchema;
use serde::Serialize;

use crate::args::schema_of;
use crate::types::{CallResult, Content, Tool, ToolAnnotations};

/// Describes a tool whose arguments are `A` (its input schema is generated
/// from `A`). Finish with [`ToolBuilder::build`].
///
/// ```ignore
/// tool::<GreetArgs>("greet", "Greets someone by name.").read_only().build()
/// ```
pub fn tool<A: JsonSchema>(name: &str, description: &str) -> ToolBuilder {
    ToolBuilder {
        tool: Tool {
            name: name.into(),
            title: None,
            description: description.into(),
            input_schema: schema_of::<A>(),
            output_schema: None,
            annotations: ToolAnnotations::none(),
        },
    }
}

/// See [`tool`].
pub struct ToolBuilder {
    tool: Tool,
}

impl ToolBuilder {
    /// A short human-readable title.
    pub fn title(mut self, title: &str) -> Self {
        self.tool.title = Some(title.into());
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

    pub fn build(self) -> Tool {
        self.tool
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
