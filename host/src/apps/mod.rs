//! MCP Apps (the extension `io.modelcontextprotocol/ui`, specification
//! 2026-01-26): the views plugins ship with their tools, checked once at
//! load, and what the host tells clients about them.
//!
//! A plugin declares views (`ui://<plugin>/...` HTML documents) and links
//! its tools to them through the WIT `app-provider` interface. The host:
//!
//! - refuses a plugin whose views or links are malformed ([`check`]): URIs
//!   outside the plugin's own `ui://<plugin>/`, documents over
//!   [`MAX_VIEW_BYTES`], CSP origins that are not plain origins (a `;` or a
//!   keyword would rewrite the policy a client builds), links to tools or
//!   views the plugin does not have;
//! - declares to clients only the CSP origins the operator granted the
//!   plugin (`plugins.overrides.<plugin>.apps.domains`): deny by default, so
//!   a view that asks for the network gets none unless someone said so;
//! - shows views, `_meta.ui` and app-only tools only to clients that
//!   declared the extension ([`client_supports`]); others see exactly the
//!   tools and results they saw before (see [`meta`]).
//!
//! Calls a view makes reach the server as ordinary `tools/call` requests
//! of the same client, so tool policy, grants, audit, busy slots and answer
//! budgets apply to them unchanged.

pub mod check;
pub mod meta;

use std::collections::BTreeMap;

use rmcp::model::ClientCapabilities;

/// The extension's identifier in `capabilities.extensions`.
pub const EXTENSION: &str = "io.modelcontextprotocol/ui";

/// The MIME type of a view.
pub const VIEW_MIME_TYPE: &str = "text/html;profile=mcp-app";

/// The URI scheme of views.
pub const SCHEME: &str = "ui://";

/// The largest view document the host serves: views are self-contained
/// (scripts and styles inline), and a client loads one per tool answer.
pub const MAX_VIEW_BYTES: usize = 512 * 1024;

/// Whether a client declared the extension with a MIME type the host
/// serves. A declaration without `mimeTypes` counts as the one MIME type
/// the specification defines.
pub fn client_supports(capabilities: &ClientCapabilities) -> bool {
    let Some(settings) = capabilities
        .extensions
        .as_ref()
        .and_then(|e| e.get(EXTENSION))
    else {
        return false;
    };
    match settings.get("mimeTypes") {
        None => true,
        Some(serde_json::Value::Array(types)) => types
            .iter()
            .any(|t| t.as_str().is_some_and(|t| same_mime(t, VIEW_MIME_TYPE))),
        Some(_) => false,
    }
}

/// MIME types compare without case and without spaces around `;`.
fn same_mime(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.replace(' ', "").to_ascii_lowercase();
    norm(a) == norm(b)
}

/// Who may call a tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Visibility {
    pub model: bool,
    pub app: bool,
}

impl Visibility {
    /// The specification's default: both.
    pub const BOTH: Visibility = Visibility {
        model: true,
        app: true,
    };

    /// As `_meta.ui.visibility` lists it.
    pub fn names(self) -> Vec<&'static str> {
        let mut names = Vec::new();
        if self.model {
            names.push("model");
        }
        if self.app {
            names.push("app");
        }
        names
    }
}

/// How one tool relates to views.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolLink {
    /// The view that renders its results.
    pub view: Option<String>,
    pub visibility: Visibility,
}

/// Origins a view may reach, per CSP directive, as the host declares them
/// (what the plugin asked for and the operator granted).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Csp {
    pub connect: Vec<String>,
    pub resource: Vec<String>,
    pub frame: Vec<String>,
    pub base_uri: Vec<String>,
}

/// Browser features a view asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Permissions {
    pub camera: bool,
    pub microphone: bool,
    pub geolocation: bool,
    pub clipboard_write: bool,
}

/// A checked view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    pub uri: String,
    pub name: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub html: String,
    pub csp: Csp,
    pub permissions: Permissions,
    pub prefers_border: Option<bool>,
}

/// A plugin's views and tool links, checked.
#[derive(Debug, Clone, Default)]
pub struct PluginViews {
    pub views: Vec<View>,
    /// Tool name → its link; tools not here show no view and are visible
    /// to the model only.
    pub links: BTreeMap<String, ToolLink>,
    /// Origins views asked for that the operator did not grant (`<view>
    /// <directive> <origin>`): left out of what clients are told.
    pub ungranted: Vec<String>,
}

impl PluginViews {
    /// The view at `uri`.
    pub fn view(&self, uri: &str) -> Option<&View> {
        self.views.iter().find(|v| v.uri == uri)
    }

    /// Tool `name`'s link, if it has one.
    pub fn link(&self, name: &str) -> Option<&ToolLink> {
        self.links.get(name)
    }

    /// Whether the model may see and call tool `name`: every tool but the
    /// app-only ones.
    pub fn model_visible(&self, name: &str) -> bool {
        self.link(name).is_none_or(|l| l.visibility.model)
    }

    /// Whether tool `name` exists for a client that did (`apps`) or did not
    /// declare MCP Apps: app-only tools exist only for the former.
    pub fn offered(&self, name: &str, apps: bool) -> bool {
        apps || self.model_visible(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn capabilities(value: serde_json::Value) -> ClientCapabilities {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn the_extension_is_negotiated_by_its_identifier_and_mime_type() {
        let plain = capabilities(json!({}));
        assert!(!client_supports(&plain));
        let other = capabilities(json!({"extensions": {"io.modelcontextprotocol/tasks": {}}}));
        assert!(!client_supports(&other));
        let declared = capabilities(
            json!({"extensions": {EXTENSION: {"mimeTypes": ["text/html;profile=mcp-app"]}}}),
        );
        assert!(client_supports(&declared));
        let spaced = capabilities(
            json!({"extensions": {EXTENSION: {"mimeTypes": ["text/html; profile=mcp-app"]}}}),
        );
        assert!(client_supports(&spaced));
        let bare = capabilities(json!({"extensions": {EXTENSION: {}}}));
        assert!(client_supports(&bare));
        let elsewise =
            capabilities(json!({"extensions": {EXTENSION: {"mimeTypes": ["text/uri-list"]}}}));
        assert!(!client_supports(&elsewise));
    }

    #[test]
    fn app_only_tools_are_not_the_models() {
        let mut views = PluginViews::default();
        views.links.insert(
            "refresh".into(),
            ToolLink {
                view: None,
                visibility: Visibility {
                    model: false,
                    app: true,
                },
            },
        );
        views.links.insert(
            "list".into(),
            ToolLink {
                view: Some("ui://p/v".into()),
                visibility: Visibility::BOTH,
            },
        );
        assert!(!views.model_visible("refresh"));
        assert!(views.model_visible("list"));
        assert!(views.model_visible("unlinked"));
    }
}
