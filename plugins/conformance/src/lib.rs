//! The tools, resources, prompts and completions of the MCP conformance
//! suite (`@modelcontextprotocol/conformance`), served through kube-mcp's
//! plugin runtime so the suite exercises the real path from MCP request to
//! wasm component and back.
//!
//! It targets the richer `plugin` world (tools, prompts, resources,
//! completions): its tools are the Rust SDK's `Tools`, each registered once
//! with its handler; prompts, resources and completions come from
//! bindings of the `plugin` world that share the SDK's types.
//!
//! For tests only: `make build` builds it like every plugin, but neither
//! `make run` nor the Helm chart loads it.

use std::time::Duration;

use exports::kube_mcp::plugin::{completion_provider, prompt_provider, resource_provider};
use kube_mcp_plugin::client;
use kube_mcp_plugin::tool_execution::{ClientFeature, TaskSupport};
use kube_mcp_plugin::types::{
    BinaryContent, CallError, CallResult, Caller, Completion, CompletionReference, Content,
    EmbeddedResource, PluginInfo, Prompt, PromptArgument, PromptError, PromptMessage, PromptResult,
    ResourceContents, ResourceError, ResourceInfo, ResourceTemplate, Role, TextContent,
};
use kube_mcp_plugin::{Plugin, ToolBuilder, Tools, log, progress, tool};
use serde_json::Value;

// The `plugin` world, its imports (and so its types) the SDK's: the SDK's
// `Tools` implement its tool exports (`export_plugin!` below).
wit_bindgen::generate!({
    path: "../../wit",
    world: "plugin",
    with: {
        "kube-mcp:plugin/types@0.1.3": kube_mcp_plugin::types,
        "kube-mcp:plugin/config@0.1.3": kube_mcp_plugin::config,
        "kube-mcp:plugin/log@0.1.3": kube_mcp_plugin::log,
        "kube-mcp:plugin/progress@0.1.3": kube_mcp_plugin::progress,
        "kube-mcp:plugin/client@0.1.3": kube_mcp_plugin::client,
        "kube-mcp:plugin/kubernetes@0.1.3": kube_mcp_plugin::kubernetes,
    },
});

/// A 1×1 red PNG, as the suite expects from `test_image_content`.
const RED_PIXEL_PNG: &[u8] = include_bytes!("../assets/red-pixel.png");
/// A minimal WAV file, as the suite expects from `test_audio_content`.
const SILENCE_WAV: &[u8] = include_bytes!("../assets/silence.wav");

const NO_ARGS: &str = r#"{"type":"object","properties":{}}"#;

struct Conformance;

/// A tool whose input schema is the one the suite expects, written out;
/// its arguments reach the handler as a JSON object.
fn suite_tool(name: &str, description: &str, schema: &'static str) -> ToolBuilder<Value> {
    tool::<Value>(name, description).input_schema(schema)
}

/// A tool of the suite that takes no arguments (and ignores any it gets).
fn plain(name: &str, description: &str) -> ToolBuilder<Value> {
    suite_tool(name, description, NO_ARGS)
}

/// A handler that needs neither arguments nor caller.
fn answer(result: fn() -> CallResult) -> impl Fn(Value, &Caller) -> Result<CallResult, CallError> {
    move |_, _| Ok(result())
}

/// The string argument `key`, or `invalid-arguments` naming it.
fn string_arg(args: &Value, key: &str) -> Result<String, CallError> {
    args.get(key)
        .and_then(|v| v.as_str())
        .map(str::to_owned)
        .ok_or_else(|| CallError::InvalidArguments(format!("'{key}' (a string) is required")))
}

/// The string argument `key`, empty when absent.
fn text_arg(args: &Value, key: &str) -> String {
    args.get(key)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_owned()
}

impl Plugin for Conformance {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "conformance".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "What the MCP conformance suite calls. For tests only.".into(),
            capabilities: Vec::new(),
        }
    }

    fn tools() -> Tools {
        content_tools(Tools::new())
            .pipe(client_tools)
            .pipe(round_trip_tools)
            .pipe(task_tools)
    }
}

/// `Tools` registered in groups, each group a function.
trait Pipe: Sized {
    fn pipe(self, group: fn(Self) -> Self) -> Self {
        group(self)
    }
}

impl Pipe for Tools {}

/// Tools that answer with each kind of content, log and report progress.
fn content_tools(tools: Tools) -> Tools {
    tools
        .add(
            plain("test_simple_text", "Tests simple text content response"),
            answer(|| text("This is a simple text response for testing.")),
        )
        .add(
            plain("test_image_content", "Tests image content response"),
            answer(|| ok(vec![png()])),
        )
        .add(
            plain("test_audio_content", "Tests audio content response"),
            answer(|| {
                ok(vec![Content::Audio(BinaryContent {
                    data: SILENCE_WAV.to_vec(),
                    mime_type: "audio/wav".into(),
                })])
            }),
        )
        .add(
            plain(
                "test_embedded_resource",
                "Tests embedded resource content response",
            ),
            answer(|| {
                ok(vec![embedded(
                    "test://embedded-resource",
                    "text/plain",
                    "This is an embedded resource content.",
                )])
            }),
        )
        .add(
            plain(
                "test_multiple_content_types",
                "Tests response with multiple content types (text, image, resource)",
            ),
            answer(|| {
                ok(vec![
                    content_text("Multiple content types test:"),
                    png(),
                    embedded(
                        "test://mixed-content-resource",
                        "application/json",
                        r#"{"test":"data","value":123}"#,
                    ),
                ])
            }),
        )
        .add(
            plain("test_error_handling", "Tests error response handling"),
            answer(|| error("This tool intentionally returns an error for testing")),
        )
        .add(
            plain(
                "test_tool_with_logging",
                "Tests tool that emits log messages during execution",
            ),
            answer(|| {
                log::write(log::Level::Info, "Tool execution started");
                std::thread::sleep(Duration::from_millis(50));
                log::write(log::Level::Info, "Tool processing data");
                std::thread::sleep(Duration::from_millis(50));
                log::write(log::Level::Info, "Tool execution completed");
                text("Tool with logging executed successfully")
            }),
        )
        .add(
            plain(
                "test_tool_with_progress",
                "Tests tool that reports progress notifications",
            ),
            answer(|| {
                for (step, done) in [0.0, 50.0, 100.0].into_iter().enumerate() {
                    if step > 0 {
                        std::thread::sleep(Duration::from_millis(50));
                    }
                    progress::report(done, Some(100.0), None);
                }
                text("Tool with progress executed successfully")
            }),
        )
        .add(
            suite_tool(
                "json_schema_2020_12_tool",
                "Tool with JSON Schema 2020-12 features",
                r##"{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","$defs":{"address":{"$anchor":"address","type":"object","properties":{"street":{"type":"string"},"city":{"type":"string"}}}},"properties":{"name":{"type":"string"},"address":{"$ref":"#/$defs/address"},"contact":{"enum":["email","phone"]},"email":{"type":"string"},"phone":{"type":"string"}},"allOf":[{"anyOf":[{"required":["name"]},{"required":["address"]}]}],"if":{"properties":{"contact":{"const":"email"}},"required":["contact"]},"then":{"required":["email"]},"else":{"properties":{"phone":{"type":"string"}}},"additionalProperties":false}"##,
            ),
            |args, _| Ok(text(&format!("Received: {args}"))),
        )
        .add(
            plain(
                "test_logging_tool",
                "Writes log lines at every level (SEP-2575 diagnostics)",
            ),
            answer(|| {
                log::write(log::Level::Debug, "debug line");
                log::write(log::Level::Info, "info line");
                log::write(log::Level::Warn, "warning line");
                log::write(log::Level::Error, "error line");
                text("logged at every level")
            }),
        )
        .add(
            plain(
                "test_reconnection",
                "Takes a moment before answering, so the client may have to resume the stream",
            ),
            answer(|| {
                std::thread::sleep(Duration::from_millis(300));
                text("Reconnection test completed successfully")
            }),
        )
        .add(
            suite_tool(
                "test_custom_header",
                "Echoes a region that clients also send as the Mcp-Param-Region header (SEP-2243)",
                r#"{"type":"object","properties":{"region":{"type":"string","x-mcp-header":"Region"}},"required":["region"]}"#,
            ),
            |args, _| Ok(text(&format!("region: {}", text_arg(&args, "region")))),
        )
        .add(
            suite_tool(
                "greet",
                "Greets someone, at once (never a task)",
                r#"{"type":"object","properties":{"name":{"type":"string"}}}"#,
            ),
            |args, _| Ok(text(&format!("Hello, {}!", text_arg(&args, "name")))),
        )
}

/// Tools that ask the client within the call: sampling and elicitation.
fn client_tools(tools: Tools) -> Tools {
    tools
        .add(
            suite_tool(
                "test_sampling",
                "Tests server-initiated sampling (LLM completion request)",
                r#"{"type":"object","properties":{"prompt":{"type":"string","description":"The prompt to send to the LLM"}},"required":["prompt"]}"#,
            ),
            |args, _| {
                let prompt = string_arg(&args, "prompt")?;
                let request = client::SamplingRequest {
                    messages: vec![client::SamplingMessage {
                        role: Role::User,
                        content: client::SamplingContent::Text(prompt),
                    }],
                    system_prompt: None,
                    max_tokens: 100,
                    temperature: None,
                    stop_sequences: Vec::new(),
                    model_hints: Vec::new(),
                };
                Ok(match client::create_message(&request) {
                    Ok(response) => match response.content {
                        client::SamplingContent::Text(answer) => {
                            text(&format!("LLM response: {answer}"))
                        }
                        _ => text("LLM response: (not text)"),
                    },
                    Err(e) => error(&format!("sampling failed: {}", client_error(&e))),
                })
            },
        )
        .add(
            suite_tool(
                "test_elicitation",
                "Tests server-initiated elicitation (user input request)",
                r#"{"type":"object","properties":{"message":{"type":"string","description":"The message to show the user"}},"required":["message"]}"#,
            ),
            |args, _| {
                let message = string_arg(&args, "message")?;
                let schema = r#"{"type":"object","properties":{"username":{"type":"string","description":"User's response"},"email":{"type":"string","description":"User's email address"}},"required":["username","email"]}"#;
                Ok(elicit(&message, schema, "User response"))
            },
        )
        .add(
            plain(
                "test_elicitation_sep1034_defaults",
                "Tests elicitation with default values for every primitive type (SEP-1034)",
            ),
            answer(|| {
                let schema = r#"{"type":"object","properties":{"name":{"type":"string","description":"User name","default":"John Doe"},"age":{"type":"integer","description":"User age","default":30},"score":{"type":"number","description":"User score","default":95.5},"status":{"type":"string","description":"User status","enum":["active","inactive","pending"],"default":"active"},"verified":{"type":"boolean","description":"Verification status","default":true}}}"#;
                elicit(
                    "Please review and update the form fields with defaults",
                    schema,
                    "Elicitation completed",
                )
            }),
        )
        .add(
            plain(
                "test_elicitation_sep1330_enums",
                "Tests elicitation with every enum schema variant (SEP-1330)",
            ),
            answer(|| {
                let schema = r#"{"type":"object","properties":{"untitledSingle":{"type":"string","description":"Untitled single-select","enum":["option1","option2","option3"]},"titledSingle":{"type":"string","description":"Titled single-select","oneOf":[{"const":"value1","title":"First Option"},{"const":"value2","title":"Second Option"},{"const":"value3","title":"Third Option"}]},"legacyEnum":{"type":"string","description":"Legacy titled enum","enum":["opt1","opt2","opt3"],"enumNames":["Option One","Option Two","Option Three"]},"untitledMulti":{"type":"array","description":"Untitled multi-select","items":{"type":"string","enum":["option1","option2","option3"]}},"titledMulti":{"type":"array","description":"Titled multi-select","items":{"anyOf":[{"const":"value1","title":"First Choice"},{"const":"value2","title":"Second Choice"},{"const":"value3","title":"Third Choice"}]}}}}"#;
                elicit(
                    "Please select options from the enum fields",
                    schema,
                    "Elicitation completed",
                )
            }),
        )
}

/// The tools of the tasks extension (SEP-2663).
fn task_tools(tools: Tools) -> Tools {
    tools
        .add(
            suite_tool(
                "slow_compute",
                "Takes `seconds` seconds, as a task when the client supports tasks",
                r#"{"type":"object","properties":{"seconds":{"type":"number","minimum":0},"label":{"type":"string"}}}"#,
            )
            .task_support(TaskSupport::Optional),
            |args, _| {
                progress::detach();
                let seconds = args
                    .get("seconds")
                    .and_then(|v| v.as_f64())
                    .unwrap_or(0.0)
                    .clamp(0.0, 600.0);
                progress::report(0.0, Some(seconds), Some("computing"));
                std::thread::sleep(Duration::from_secs_f64(seconds));
                Ok(text(&format!(
                    "computed {} in {seconds} s",
                    text_arg(&args, "label")
                )))
            },
        )
        .add(
            plain(
                "failing_job",
                "A task that reports a tool error after about a second",
            )
            .task_support(TaskSupport::Required),
            answer(|| {
                progress::detach();
                std::thread::sleep(Duration::from_secs(1));
                error("failing_job always fails")
            }),
        )
        .add(
            plain("protocol_error_job", "A task whose plugin crashes")
                .task_support(TaskSupport::Optional),
            answer(|| {
                progress::detach();
                panic!("protocol_error_job crashes on purpose");
            }),
        )
        .add(
            suite_tool(
                "confirm_delete",
                "A task that asks the user to confirm, then finishes",
                r#"{"type":"object","properties":{"filename":{"type":"string"}}}"#,
            )
            .task_support(TaskSupport::Optional),
            |args, _| {
                progress::detach();
                let filename = text_arg(&args, "filename");
                let schema = r#"{"type":"object","properties":{"confirm":{"type":"boolean"}},"required":["confirm"]}"#;
                let question = client::Question::Elicit(client::Form {
                    message: format!("Delete {filename}?"),
                    requested_schema: schema.into(),
                });
                Ok(answered(vec![("confirm", question)], |answers| {
                    text(&format!("{filename}: {}", describe(&answers[0])))
                }))
            },
        )
        .add(
            plain("multi_input", "A task that asks two questions at once")
                .task_support(TaskSupport::Optional),
            answer(|| {
                progress::detach();
                answered(
                    vec![
                        ("first", name_form("First: what is your name?", "name")),
                        (
                            "second",
                            name_form("Second: what is your favorite color?", "color"),
                        ),
                    ],
                    |a| {
                        text(&format!(
                            "{} likes {}",
                            field(&a[0], "name"),
                            field(&a[1], "color")
                        ))
                    },
                )
            }),
        )
        .add(
            plain(
                "test_tool_with_task",
                "Asks the user's name, then goes on as a task that greets them",
            )
            .task_support(TaskSupport::Required),
            answer(|| {
                answered(
                    vec![("user_name", name_form("What is your name?", "name"))],
                    |a| {
                        progress::detach();
                        text(&format!("Hello, {}! (from a task)", field(&a[0], "name")))
                    },
                )
            }),
        )
}

/// The name question of the SEP-2322 scenarios.
fn name_form(message: &str, property: &str) -> client::Question {
    client::Question::Elicit(client::Form {
        message: message.into(),
        requested_schema: format!(
            r#"{{"type":"object","properties":{{"{property}":{{"type":"string"}}}},"required":["{property}"]}}"#
        ),
    })
}

fn sampling(question: &str, max_tokens: u32) -> client::Question {
    client::Question::CreateMessage(client::SamplingRequest {
        messages: vec![client::SamplingMessage {
            role: Role::User,
            content: client::SamplingContent::Text(question.into()),
        }],
        system_prompt: None,
        max_tokens,
        temperature: None,
        stop_sequences: Vec::new(),
        model_hints: Vec::new(),
    })
}

/// Asks `questions` at once; the answers, or the tool error to return.
fn ask(questions: Vec<(&str, client::Question)>) -> Result<Vec<client::Answer>, CallResult> {
    let questions: Vec<(String, client::Question)> = questions
        .into_iter()
        .map(|(k, q)| (k.to_owned(), q))
        .collect();
    client::ask(&questions).map_err(|e| error(&format!("asking failed: {}", client_error(&e))))
}

/// Asks `questions` at once and makes the result of the answers, or the
/// tool error of a failed question.
fn answered(
    questions: Vec<(&str, client::Question)>,
    then: impl FnOnce(Vec<client::Answer>) -> CallResult,
) -> CallResult {
    ask(questions).map(then).unwrap_or_else(|error| error)
}

/// A short account of an answer.
fn describe(answer: &client::Answer) -> String {
    match answer {
        client::Answer::Elicitation(client::Elicitation::Accept(content)) => content.clone(),
        client::Answer::Elicitation(client::Elicitation::Decline) => "declined".into(),
        client::Answer::Elicitation(client::Elicitation::Cancel) => "cancelled".into(),
        client::Answer::Message(message) => match &message.content {
            client::SamplingContent::Text(text) => text.clone(),
            _ => "(not text)".into(),
        },
        client::Answer::Roots(roots) => roots
            .iter()
            .map(|r| r.uri.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// The string `field` of an accepted form, or `describe`'s account.
fn field(answer: &client::Answer, field: &str) -> String {
    if let client::Answer::Elicitation(client::Elicitation::Accept(content)) = answer
        && let Ok(value) = serde_json::from_str::<serde_json::Value>(content)
        && let Some(text) = value.get(field).and_then(|v| v.as_str())
    {
        return text.to_owned();
    }
    describe(answer)
}

/// The SEP-2322 tools: questions answered over several round trips.
fn round_trip_tools(tools: Tools) -> Tools {
    let greet_by_name = || {
        answered(
            vec![("user_name", name_form("What is your name?", "name"))],
            |a| text(&format!("Hello, {}!", field(&a[0], "name"))),
        )
    };
    tools
        .add(
            plain(
                "test_input_required_result_elicitation",
                "Asks the user's name (SEP-2322 multi-round-trip)",
            ),
            move |_, _| Ok(greet_by_name()),
        )
        .add(
            plain(
                "test_input_required_result_tampered_state",
                "Asks the user's name; the host refuses a changed request state (SEP-2322)",
            ),
            move |_, _| Ok(greet_by_name()),
        )
        .add(
            plain(
                "test_streaming_elicitation",
                "Asks the user something (SEP-2575 diagnostics)",
            ),
            move |_, _| Ok(greet_by_name()),
        )
        .add(
            plain(
                "test_input_required_result_sampling",
                "Asks the client's model a question (SEP-2322)",
            ),
            answer(|| {
                answered(
                    vec![(
                        "capital_question",
                        sampling("What is the capital of France?", 100),
                    )],
                    |a| text(&format!("The model said: {}", describe(&a[0]))),
                )
            }),
        )
        .add(
            plain(
                "test_input_required_result_list_roots",
                "Asks for the client's roots (SEP-2322)",
            ),
            answer(|| {
                answered(vec![("client_roots", client::Question::ListRoots)], |a| {
                    text(&format!("Client roots: {}", describe(&a[0])))
                })
            }),
        )
        .add(
            plain(
                "test_input_required_result_request_state",
                "Asks for a confirmation and checks the request state (SEP-2322)",
            ),
            answer(|| {
                let question = client::Question::Elicit(client::Form {
                    message: "Please confirm".into(),
                    requested_schema:
                        r#"{"type":"object","properties":{"ok":{"type":"boolean"}},"required":["ok"]}"#
                            .into(),
                });
                answered(vec![("confirm", question)], |a| {
                    text(&format!("state-ok: the answer was {}", describe(&a[0])))
                })
            }),
        )
        .add(
            plain(
                "test_input_required_result_multiple_inputs",
                "Asks three questions at once (SEP-2322)",
            ),
            answer(|| {
                answered(
                    vec![
                        ("user_name", name_form("What is your name?", "name")),
                        ("greeting", sampling("Generate a greeting", 50)),
                        ("client_roots", client::Question::ListRoots),
                    ],
                    |a| {
                        text(&format!(
                            "name: {}; greeting: {}; roots: {}",
                            field(&a[0], "name"),
                            describe(&a[1]),
                            describe(&a[2])
                        ))
                    },
                )
            }),
        )
        .add(
            plain(
                "test_input_required_result_multi_round",
                "Asks two questions one after the other (SEP-2322)",
            ),
            answer(|| {
                answered(
                    vec![("step1", name_form("Step 1: What is your name?", "name"))],
                    |first| {
                        answered(
                            vec![(
                                "step2",
                                name_form("Step 2: What is your favorite color?", "color"),
                            )],
                            |second| {
                                text(&format!(
                                    "{} likes {}",
                                    field(&first[0], "name"),
                                    field(&second[0], "color")
                                ))
                            },
                        )
                    },
                )
            }),
        )
        .add(
            plain(
                "test_input_required_result_capabilities",
                "Asks only what the client declared it supports (SEP-2322)",
            ),
            answer(|| {
                let supported = client::capabilities();
                let mut questions = Vec::new();
                if supported.elicitation {
                    questions.push(("user_name", name_form("What is your name?", "name")));
                }
                if supported.sampling {
                    questions.push(("greeting", sampling("Generate a greeting", 50)));
                }
                if questions.is_empty() {
                    return text("the client supports neither elicitation nor sampling");
                }
                answered(questions, |a| {
                    text(&format!(
                        "answers: {}",
                        a.iter().map(describe).collect::<Vec<_>>().join("; ")
                    ))
                })
            }),
        )
        .add(
            plain(
                "test_missing_capability",
                "Needs sampling: refused for a client that did not declare it (SEP-2575)",
            )
            .requires(ClientFeature::Sampling),
            answer(|| {
                answered(vec![("completion", sampling("Say hello", 20))], |a| {
                    text(&format!("The model said: {}", describe(&a[0])))
                })
            }),
        )
}

fn elicit(message: &str, schema: &str, label: &str) -> CallResult {
    let answer = match client::elicit(message, schema) {
        Ok(client::Elicitation::Accept(content)) => format!("action=accept, content={content}"),
        Ok(client::Elicitation::Decline) => "action=decline, content={}".to_owned(),
        Ok(client::Elicitation::Cancel) => "action=cancel, content={}".to_owned(),
        Err(e) => return error(&format!("elicitation failed: {}", client_error(&e))),
    };
    text(&format!("{label}: {answer}"))
}

fn client_error(e: &client::ClientError) -> String {
    match e {
        client::ClientError::Unsupported => "the client does not support it".into(),
        client::ClientError::Failed(why) => why.clone(),
    }
}

impl prompt_provider::Guest for Conformance {
    fn prompts() -> Vec<Prompt> {
        let argument = |name: &str, description: &str| PromptArgument {
            name: name.into(),
            title: None,
            description: Some(description.into()),
            required: true,
        };
        vec![
            prompt(
                "test_simple_prompt",
                "A simple prompt without arguments",
                vec![],
            ),
            prompt(
                "test_prompt_with_arguments",
                "A prompt with required arguments",
                vec![
                    argument("arg1", "First test argument"),
                    argument("arg2", "Second test argument"),
                ],
            ),
            prompt(
                "test_prompt_with_embedded_resource",
                "A prompt that includes an embedded resource",
                vec![argument("resourceUri", "URI of the resource to embed")],
            ),
            prompt(
                "test_prompt_with_image",
                "A prompt that includes image content",
                vec![],
            ),
            prompt(
                "test_input_required_result_prompt",
                "A prompt that asks the user for its context first (SEP-2322)",
                vec![],
            ),
        ]
    }

    fn get_prompt(
        name: String,
        arguments: Vec<(String, String)>,
        _caller: Caller,
    ) -> Result<PromptResult, PromptError> {
        let arg = |key: &str| {
            arguments
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
                .ok_or_else(|| PromptError::InvalidArguments(format!("'{key}' is required")))
        };
        let user = |content| PromptMessage {
            role: Role::User,
            content,
        };
        let messages = match name.as_str() {
            "test_simple_prompt" => {
                vec![user(content_text("This is a simple prompt for testing."))]
            }
            "test_prompt_with_arguments" => vec![user(content_text(&format!(
                "Prompt with arguments: arg1='{}', arg2='{}'",
                arg("arg1")?,
                arg("arg2")?
            )))],
            "test_prompt_with_embedded_resource" => vec![
                user(embedded(
                    &arg("resourceUri")?,
                    "text/plain",
                    "Embedded resource content for testing.",
                )),
                user(content_text("Please process the embedded resource above.")),
            ],
            "test_prompt_with_image" => vec![
                user(png()),
                user(content_text("Please analyze the image above.")),
            ],
            "test_input_required_result_prompt" => {
                let question = name_form("What context should the prompt use?", "context");
                match client::ask(&[("user_context".into(), question)]) {
                    Ok(answers) => vec![user(content_text(&format!(
                        "Work in this context: {}",
                        field(&answers[0], "context")
                    )))],
                    Err(e) => {
                        return Err(PromptError::InvalidArguments(format!(
                            "the context could not be asked: {}",
                            client_error(&e)
                        )));
                    }
                }
            }
            _ => return Err(PromptError::UnknownPrompt(name)),
        };
        Ok(PromptResult {
            description: None,
            messages,
        })
    }
}

impl resource_provider::Guest for Conformance {
    fn resources() -> Vec<ResourceInfo> {
        let resource = |uri: &str, name: &str, description: &str, mime_type: &str| ResourceInfo {
            uri: uri.into(),
            name: name.into(),
            title: None,
            description: Some(description.into()),
            mime_type: Some(mime_type.into()),
            size: None,
        };
        vec![
            resource(
                "test://static-text",
                "Static Text Resource",
                "A static text resource for testing",
                "text/plain",
            ),
            resource(
                "test://static-binary",
                "Static Binary Resource",
                "A static binary resource (image) for testing",
                "image/png",
            ),
            resource(
                "test://watched-resource",
                "Watched Resource",
                "A resource that can be subscribed to",
                "text/plain",
            ),
        ]
    }

    fn resource_templates() -> Vec<ResourceTemplate> {
        vec![ResourceTemplate {
            uri_template: "test://template/{id}/data".into(),
            name: "Resource Template".into(),
            title: None,
            description: Some("A resource template with parameter substitution".into()),
            mime_type: Some("application/json".into()),
        }]
    }

    fn read_resource(uri: String, _caller: Caller) -> Result<Vec<EmbeddedResource>, ResourceError> {
        let item = |mime_type: &str, contents| EmbeddedResource {
            uri: uri.clone(),
            mime_type: Some(mime_type.into()),
            contents,
        };
        let contents = match uri.as_str() {
            "test://static-text" => item(
                "text/plain",
                ResourceContents::Text("This is the content of the static text resource.".into()),
            ),
            "test://static-binary" => item("image/png", ResourceContents::Blob(RED_PIXEL_PNG.to_vec())),
            "test://watched-resource" => item(
                "text/plain",
                ResourceContents::Text("Watched resource content".into()),
            ),
            _ => match uri
                .strip_prefix("test://template/")
                .and_then(|rest| rest.strip_suffix("/data"))
            {
                Some(id) if !id.is_empty() && !id.contains('/') => item(
                    "application/json",
                    ResourceContents::Text(
                        serde_json::json!({"id": id, "templateTest": true, "data": format!("Data for ID: {id}")})
                            .to_string(),
                    ),
                ),
                _ => return Err(ResourceError::NotFound(uri)),
            },
        };
        Ok(vec![contents])
    }
}

impl completion_provider::Guest for Conformance {
    fn complete(
        reference: CompletionReference,
        argument: String,
        value: String,
        _context: Vec<(String, String)>,
        _caller: Caller,
    ) -> Completion {
        let candidates: &[&str] = match (&reference, argument.as_str()) {
            (CompletionReference::Prompt(name), "arg1") if name == "test_prompt_with_arguments" => {
                &["paris", "park", "party", "test", "testing"]
            }
            (CompletionReference::ResourceTemplate(_), "id") => &["123", "456", "789"],
            _ => &[],
        };
        let values: Vec<String> = candidates
            .iter()
            .filter(|c| c.starts_with(&value))
            .map(|c| (*c).to_owned())
            .collect();
        Completion {
            total: Some(values.len() as u32),
            values,
            has_more: false,
        }
    }
}

fn prompt(name: &str, description: &str, arguments: Vec<PromptArgument>) -> Prompt {
    Prompt {
        name: name.into(),
        title: None,
        description: description.into(),
        arguments,
    }
}

fn content_text(text: &str) -> Content {
    Content::Text(TextContent { text: text.into() })
}

fn ok(content: Vec<Content>) -> CallResult {
    CallResult {
        content,
        structured_content: None,
        is_error: false,
    }
}

fn text(text: &str) -> CallResult {
    ok(vec![content_text(text)])
}

fn error(text: &str) -> CallResult {
    CallResult {
        is_error: true,
        ..self::text(text)
    }
}

fn png() -> Content {
    Content::Image(BinaryContent {
        data: RED_PIXEL_PNG.to_vec(),
        mime_type: "image/png".into(),
    })
}

fn embedded(uri: &str, mime_type: &str, text: &str) -> Content {
    Content::Resource(EmbeddedResource {
        uri: uri.into(),
        mime_type: Some(mime_type.into()),
        contents: ResourceContents::Text(text.into()),
    })
}

kube_mcp_plugin::export_plugin!(Conformance, exports in exports::kube_mcp::plugin);
export!(Conformance);
