//! The test tools of the MCP conformance suite (`@modelcontextprotocol/conformance`),
//! served through kube-mcp's plugin runtime so the suite exercises the real
//! path from MCP request to wasm component and back.
//!
//! For tests only: `make build` builds it like every plugin, but neither
//! `make run` nor the Helm chart loads it.

use kube_mcp_plugin::exports::kube_mcp::plugin::tool_provider::Guest;
use kube_mcp_plugin::types::{
    BinaryContent, CallError, CallResult, Caller, Content, EmbeddedResource, PluginInfo,
    ResourceContents, Tool,
};
use kube_mcp_plugin::{NoArgs, tool};

/// A 1×1 red PNG, as the suite expects from `test_image_content`.
const RED_PIXEL_PNG: &[u8] = include_bytes!("../assets/red-pixel.png");
/// A minimal WAV file, as the suite expects from `test_audio_content`.
const SILENCE_WAV: &[u8] = include_bytes!("../assets/silence.wav");

struct Conformance;

impl Guest for Conformance {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "conformance".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Tools the MCP conformance suite calls. For tests only.".into(),
            capabilities: Vec::new(),
        }
    }

    fn tools() -> Vec<Tool> {
        TOOLS
            .iter()
            .map(|(name, description)| tool::<NoArgs>(name, description).build())
            .collect()
    }

    fn call_tool(
        name: String,
        _arguments: String,
        _caller: Caller,
    ) -> Result<CallResult, CallError> {
        let result = match name.as_str() {
            "test_simple_text" => CallResult::text("This is a simple text response for testing."),
            "test_image_content" => CallResult::ok(vec![png()]),
            "test_audio_content" => CallResult::ok(vec![Content::Audio(BinaryContent {
                data: SILENCE_WAV.to_vec(),
                mime_type: "audio/wav".into(),
            })]),
            "test_embedded_resource" => CallResult::ok(vec![embedded(
                "test://embedded-resource",
                "text/plain",
                "This is an embedded resource content.",
            )]),
            "test_multiple_content_types" => CallResult::ok(vec![
                Content::text("Multiple content types test:"),
                png(),
                embedded(
                    "test://mixed-content-resource",
                    "application/json",
                    r#"{"test":"data","value":123}"#,
                ),
            ]),
            "test_error_handling" => {
                CallResult::error("This tool intentionally returns an error for testing")
            }
            _ => return Err(CallError::UnknownTool(name)),
        };
        Ok(result)
    }
}

const TOOLS: &[(&str, &str)] = &[
    ("test_simple_text", "Tests simple text content response"),
    ("test_image_content", "Tests image content response"),
    ("test_audio_content", "Tests audio content response"),
    (
        "test_embedded_resource",
        "Tests embedded resource content response",
    ),
    (
        "test_multiple_content_types",
        "Tests response with multiple content types (text, image, resource)",
    ),
    ("test_error_handling", "Tests error response handling"),
];

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

kube_mcp_plugin::export!(Conformance);
