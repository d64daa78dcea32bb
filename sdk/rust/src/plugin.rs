//! A plugin declared in one place: its description and its tools, each
//! registered once with its handler, as the JavaScript SDK's `definePlugin`
//! and the Python SDK's `Plugin.tool` do. [`export_plugin!`](crate::export_plugin)
//! turns it into the component's exports.

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;

use crate::args::parse_args;
use crate::builder::ToolBuilder;
use crate::tool_execution::{Execution, TaskSupport};
use crate::types::{CallError, CallResult, Caller, PluginInfo, Tool};

/// A plugin: what it is, and its tools with their handlers.
///
/// ```ignore
/// struct Hello;
///
/// impl kube_mcp_plugin::Plugin for Hello {
///     fn info() -> PluginInfo { /* name, version, capabilities */ }
///     fn tools() -> Tools {
///         Tools::new().add(tool::<GreetArgs>("greet", "Greets someone.").read_only(), greet)
///     }
/// }
///
/// fn greet(args: GreetArgs, caller: &Caller) -> Result<CallResult, CallError> {
///     Ok(CallResult::text(format!("Hello, {}!", args.name)))
/// }
///
/// kube_mcp_plugin::export_plugin!(Hello);
/// ```
pub trait Plugin {
    /// The plugin's name, version, description and requested capabilities.
    fn info() -> PluginInfo;
    /// Every tool, each with its handler.
    fn tools() -> Tools;
    /// Views (MCP Apps) the plugin ships, each a self-contained HTML
    /// document under `ui://<plugin name>/`; tools name theirs with
    /// [`ToolBuilder::view`](crate::ToolBuilder::view). None by default.
    fn views() -> Vec<crate::app_provider::View> {
        Vec::new()
    }
}

/// A handler: parses the arguments and runs the tool.
type Handler = Box<dyn Fn(&str, &Caller) -> Result<CallResult, CallError>>;

struct Entry {
    builder: ToolBuilder<()>,
    handler: Handler,
}

/// A plugin's tools, each registered once with the function that runs it:
/// a call is routed by the name it was registered under, and its
/// arguments are parsed into the type the tool's input schema was made
/// from, so the list, the schema and the dispatch cannot disagree.
#[derive(Default)]
pub struct Tools {
    entries: Vec<Entry>,
}

impl Tools {
    pub fn new() -> Tools {
        Tools::default()
    }

    /// Registers `tool` with `handler`, which receives its arguments parsed
    /// into `A` (a mismatch answers `invalid-arguments` naming the field).
    ///
    /// # Panics
    ///
    /// When a tool of the same name is already registered: a plugin
    /// that does so is wrong however it is called.
    pub fn add<A, H>(mut self, tool: ToolBuilder<A>, handler: H) -> Tools
    where
        A: DeserializeOwned + JsonSchema + 'static,
        H: Fn(A, &Caller) -> Result<CallResult, CallError> + 'static,
    {
        let builder = tool.erase();
        assert!(
            self.entry(builder.name()).is_none(),
            "the tool '{}' is registered twice",
            builder.name()
        );
        self.entries.push(Entry {
            builder,
            handler: Box::new(move |arguments, caller| handler(parse_args(arguments)?, caller)),
        });
        self
    }

    fn entry(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.builder.name() == name)
    }

    /// The tools, in the order they were registered (`tools`).
    pub fn list(&self) -> Vec<Tool> {
        self.entries.iter().map(|e| e.builder.describe()).collect()
    }

    /// How the tools that need more than a plain call run (`executions`).
    pub fn executions(&self) -> Vec<Execution> {
        self.entries
            .iter()
            .map(|e| e.builder.execution())
            .filter(|x| x.task_support != TaskSupport::Forbidden || !x.requires.is_empty())
            .collect()
    }

    /// Which tools show which view, and who may call them (`tool-views`).
    pub fn tool_views(&self) -> Vec<crate::app_provider::ToolView> {
        self.entries
            .iter()
            .filter_map(|e| e.builder.tool_view())
            .collect()
    }

    /// Runs tool `name` (`call-tool`); an unknown name is `unknown-tool`.
    pub fn call(
        &self,
        name: &str,
        arguments: &str,
        caller: &Caller,
    ) -> Result<CallResult, CallError> {
        match self.entry(name) {
            Some(entry) => (entry.handler)(arguments, caller),
            None => Err(CallError::UnknownTool(name.to_owned())),
        }
    }

    /// The registered names, for tests.
    pub fn names(&self) -> BTreeSet<String> {
        self.entries
            .iter()
            .map(|e| e.builder.name().to_owned())
            .collect()
    }
}

/// Exports `$plugin`, a [`Plugin`], as the component's `tool-provider`,
/// `tool-execution` and `app-provider`.
///
/// A plugin of the larger `plugin` world (prompts, resources; see the
/// crate's documentation) generates its own bindings, whose `export!`
/// exports everything: it names their exports module instead,
/// `export_plugin!(MyPlugin, exports in exports::kube_mcp::plugin)`, and
/// calls its `export!` itself.
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ident) => {
        $crate::export_plugin!($plugin, exports in $crate::exports::kube_mcp::plugin);
        $crate::export_bindings!($plugin);
    };
    ($plugin:ident, exports in $($exports:ident)::+) => {
        const _: () = {
            use $($exports)::+::{app_provider, tool_execution, tool_provider};
            use $crate::types::{CallError, CallResult, Caller, PluginInfo, Tool};

            ::std::thread_local! {
                static TOOLS: $crate::Tools = <$plugin as $crate::Plugin>::tools();
            }

            impl tool_provider::Guest for $plugin {
                fn describe() -> PluginInfo {
                    <$plugin as $crate::Plugin>::info()
                }
                fn tools() -> ::std::vec::Vec<Tool> {
                    TOOLS.with(|tools| tools.list())
                }
                fn call_tool(
                    name: ::std::string::String,
                    arguments: ::std::string::String,
                    caller: Caller,
                ) -> ::std::result::Result<CallResult, CallError> {
                    TOOLS.with(|tools| tools.call(&name, &arguments, &caller))
                }
            }

            impl tool_execution::Guest for $plugin {
                fn executions() -> ::std::vec::Vec<tool_execution::Execution> {
                    // The same record, whichever bindings export it.
                    use $crate::tool_execution::{ClientFeature as F, TaskSupport as T};
                    TOOLS
                        .with(|tools| tools.executions())
                        .into_iter()
                        .map(|x| tool_execution::Execution {
                            tool: x.tool,
                            task_support: match x.task_support {
                                T::Forbidden => tool_execution::TaskSupport::Forbidden,
                                T::Optional => tool_execution::TaskSupport::Optional,
                                T::Required => tool_execution::TaskSupport::Required,
                            },
                            requires: x
                                .requires
                                .into_iter()
                                .map(|feature| match feature {
                                    F::Elicitation => tool_execution::ClientFeature::Elicitation,
                                    F::Sampling => tool_execution::ClientFeature::Sampling,
                                    F::Roots => tool_execution::ClientFeature::Roots,
                                })
                                .collect(),
                        })
                        .collect()
                }
            }

            impl app_provider::Guest for $plugin {
                fn views() -> ::std::vec::Vec<app_provider::View> {
                    // The same records, whichever bindings export them.
                    <$plugin as $crate::Plugin>::views()
                        .into_iter()
                        .map(|v| app_provider::View {
                            uri: v.uri,
                            name: v.name,
                            title: v.title,
                            description: v.description,
                            html: v.html,
                            csp: app_provider::ViewCsp {
                                connect_domains: v.csp.connect_domains,
                                resource_domains: v.csp.resource_domains,
                                frame_domains: v.csp.frame_domains,
                                base_uri_domains: v.csp.base_uri_domains,
                            },
                            permissions: app_provider::ViewPermissions::from_bits_retain(
                                v.permissions.bits(),
                            ),
                            prefers_border: v.prefers_border,
                        })
                        .collect()
                }
                fn tool_views() -> ::std::vec::Vec<app_provider::ToolView> {
                    TOOLS
                        .with(|tools| tools.tool_views())
                        .into_iter()
                        .map(|x| app_provider::ToolView {
                            tool: x.tool,
                            view: x.view,
                            visibility: app_provider::Visibility::from_bits_retain(
                                x.visibility.bits(),
                            ),
                        })
                        .collect()
                }
            }
        };
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tool;
    use crate::tool_execution::ClientFeature;

    #[derive(serde::Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    struct Greet {
        name: String,
    }

    fn caller() -> Caller {
        Caller {
            subject: "ada".into(),
            username: None,
            groups: Vec::new(),
            scopes: Vec::new(),
        }
    }

    fn tools() -> Tools {
        Tools::new()
            .add(
                tool::<Greet>("greet", "Greets.").read_only(),
                |args, caller| {
                    Ok(CallResult::text(format!(
                        "Hello, {}! ({})",
                        args.name, caller.subject
                    )))
                },
            )
            .add(
                tool::<crate::NoArgs>("wait", "Waits.")
                    .task_support(TaskSupport::Optional)
                    .requires(ClientFeature::Elicitation),
                |_, _| Ok(CallResult::text("waited")),
            )
    }

    fn text(result: CallResult) -> String {
        match &result.content[..] {
            [crate::types::Content::Text(t)] => t.text.clone(),
            _ => panic!("not one text item"),
        }
    }

    #[test]
    fn a_call_reaches_the_handler_registered_under_its_name() {
        let tools = tools();
        let result = tools.call("greet", r#"{"name": "Grace"}"#, &caller());
        assert_eq!(text(result.unwrap()), "Hello, Grace! (ada)");
        assert!(matches!(
            tools.call("nope", "{}", &caller()),
            Err(CallError::UnknownTool(name)) if name == "nope"
        ));
    }

    #[test]
    fn arguments_are_parsed_into_the_type_of_the_schema() {
        let tools = tools();
        let listed = tools.list();
        assert_eq!(listed[0].name, "greet");
        assert!(
            listed[0].input_schema.contains(r#""name""#),
            "{}",
            listed[0].input_schema
        );
        assert!(matches!(
            tools.call("greet", r#"{"name": 5}"#, &caller()),
            Err(CallError::InvalidArguments(why))
                if why == "name: invalid type: integer `5`, expected a string"
        ));
    }

    #[test]
    fn executions_come_from_the_tools_that_need_them() {
        let executions = tools().executions();
        assert_eq!(executions.len(), 1);
        assert_eq!(executions[0].tool, "wait");
        assert_eq!(executions[0].task_support, TaskSupport::Optional);
        assert_eq!(executions[0].requires, vec![ClientFeature::Elicitation]);
    }

    #[test]
    fn a_written_schema_is_listed_as_written() {
        let schema = r#"{"type":"object","properties":{"region":{"type":"string","x-mcp-header":"Region"}}}"#;
        let tools = Tools::new().add(
            tool::<serde_json::Value>("echo", "Echoes.").input_schema(schema),
            |args, _| Ok(CallResult::text(args["region"].as_str().unwrap_or("?"))),
        );
        assert_eq!(tools.list()[0].input_schema, schema);
        let result = tools.call("echo", r#"{"region": "eu"}"#, &caller());
        assert_eq!(text(result.unwrap()), "eu");
    }

    #[test]
    #[should_panic(expected = "the tool 'greet' is registered twice")]
    fn a_name_registered_twice_is_a_mistake() {
        let _ = tools().add(tool::<Greet>("greet", "Again."), |_, _| {
            Ok(CallResult::text(""))
        });
    }
}
