//! What clients that declared the extension are told: `_meta.ui` of tools,
//! and views as resources.

use serde_json::{Map, Value, json};

use super::{Csp, Permissions, ToolLink, VIEW_MIME_TYPE, View};

/// A tool's `_meta.ui`: the view that renders its results and who may
/// call it. A tool its plugin did not link is the model's only: said
/// explicitly, since the extension's default would let every view call it.
pub fn tool_ui(link: Option<&ToolLink>) -> Value {
    let Some(link) = link else {
        return json!({ "visibility": ["model"] });
    };
    let mut ui = Map::new();
    if let Some(view) = &link.view {
        ui.insert("resourceUri".into(), view.clone().into());
    }
    ui.insert("visibility".into(), json!(link.visibility.names()));
    Value::Object(ui)
}

/// A view's `_meta.ui`: the CSP origins the client must allow (and no
/// others), the permissions it asks for and its border preference. Every
/// directive is present, empty when nothing was granted, so a client has
/// nothing to guess.
pub fn view_ui(view: &View) -> Value {
    let mut ui = Map::new();
    ui.insert("csp".into(), csp(&view.csp));
    let permissions = permissions(view.permissions);
    if !permissions.is_empty() {
        ui.insert("permissions".into(), Value::Object(permissions));
    }
    if let Some(border) = view.prefers_border {
        ui.insert("prefersBorder".into(), border.into());
    }
    Value::Object(ui)
}

fn csp(csp: &Csp) -> Value {
    json!({
        "connectDomains": csp.connect,
        "resourceDomains": csp.resource,
        "frameDomains": csp.frame,
        "baseUriDomains": csp.base_uri,
    })
}

fn permissions(p: Permissions) -> Map<String, Value> {
    let mut map = Map::new();
    for (asked, name) in [
        (p.camera, "camera"),
        (p.microphone, "microphone"),
        (p.geolocation, "geolocation"),
        (p.clipboard_write, "clipboardWrite"),
    ] {
        if asked {
            map.insert(name.into(), json!({}));
        }
    }
    map
}

/// The view as `resources/list` shows it.
pub fn listed(view: &View) -> Value {
    let mut resource = Map::new();
    resource.insert("uri".into(), view.uri.clone().into());
    resource.insert("name".into(), view.name.clone().into());
    if let Some(title) = &view.title {
        resource.insert("title".into(), title.clone().into());
    }
    if let Some(description) = &view.description {
        resource.insert("description".into(), description.clone().into());
    }
    resource.insert("mimeType".into(), VIEW_MIME_TYPE.into());
    resource.insert("size".into(), view.html.len().into());
    resource.insert("_meta".into(), json!({ "ui": view_ui(view) }));
    Value::Object(resource)
}

/// The view as `resources/read` returns it: one text content.
pub fn contents(view: &View) -> Value {
    json!({
        "uri": view.uri,
        "mimeType": VIEW_MIME_TYPE,
        "text": view.html,
        "_meta": { "ui": view_ui(view) },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apps::Visibility;

    fn view() -> View {
        View {
            uri: "ui://p/list".into(),
            name: "list".into(),
            title: Some("Resources".into()),
            description: None,
            html: "<!doctype html>".into(),
            csp: Csp {
                connect: vec!["https://api.example.com".into()],
                ..Csp::default()
            },
            permissions: Permissions {
                clipboard_write: true,
                ..Permissions::default()
            },
            prefers_border: Some(false),
        }
    }

    #[test]
    fn tools_carry_their_view_and_visibility() {
        let link = ToolLink {
            view: Some("ui://p/list".into()),
            visibility: Visibility::BOTH,
        };
        assert_eq!(
            tool_ui(Some(&link)),
            json!({"resourceUri": "ui://p/list", "visibility": ["model", "app"]})
        );
        let app_only = ToolLink {
            view: None,
            visibility: Visibility {
                model: false,
                app: true,
            },
        };
        assert_eq!(tool_ui(Some(&app_only)), json!({"visibility": ["app"]}));
        assert_eq!(tool_ui(None), json!({"visibility": ["model"]}));
    }

    #[test]
    fn views_declare_every_directive_and_what_they_ask() {
        assert_eq!(
            contents(&view()),
            json!({
                "uri": "ui://p/list",
                "mimeType": "text/html;profile=mcp-app",
                "text": "<!doctype html>",
                "_meta": {"ui": {
                    "csp": {"connectDomains": ["https://api.example.com"], "resourceDomains": [],
                        "frameDomains": [], "baseUriDomains": []},
                    "permissions": {"clipboardWrite": {}},
                    "prefersBorder": false,
                }},
            })
        );
        let listed = listed(&view());
        assert_eq!(listed["mimeType"], "text/html;profile=mcp-app");
        assert_eq!(listed["size"], 15);
        assert_eq!(listed["title"], "Resources");
    }
}
