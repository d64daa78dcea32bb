//! Views (MCP Apps): self-contained HTML a plugin ships with its tools.

use crate::app_provider::{View, ViewCsp, ViewPermissions};

/// A view at `uri` (`ui://<plugin name>/<path>`) named `name`, whose whole
/// document is `html` (scripts and styles inline: the host declares no
/// network origins unless the operator grants them). Usually
/// `view("ui://my-plugin/list", "list", include_str!("list.html"))`.
pub fn view(uri: &str, name: &str, html: &str) -> View {
    View {
        uri: uri.into(),
        name: name.into(),
        title: None,
        description: None,
        html: html.into(),
        csp: ViewCsp {
            connect_domains: Vec::new(),
            resource_domains: Vec::new(),
            frame_domains: Vec::new(),
            base_uri_domains: Vec::new(),
        },
        permissions: ViewPermissions::empty(),
        prefers_border: None,
    }
}

impl View {
    /// A short human-readable title.
    pub fn title(mut self, title: &str) -> Self {
        self.title = Some(title.into());
        self
    }

    /// What the view shows, for listings.
    pub fn description(mut self, description: &str) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Whether the client should frame the view.
    pub fn prefers_border(mut self, border: bool) -> Self {
        self.prefers_border = Some(border);
        self
    }

    /// An origin the view's scripts may connect to (`connect-src`); the
    /// operator must also grant it (`plugins.overrides.<plugin>.apps.domains`).
    pub fn connect_domain(mut self, origin: &str) -> Self {
        self.csp.connect_domains.push(origin.into());
        self
    }

    /// An origin the view may load scripts, styles, images, fonts and media
    /// from; the operator must also grant it.
    pub fn resource_domain(mut self, origin: &str) -> Self {
        self.csp.resource_domains.push(origin.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app_provider::Visibility;
    use crate::types::CallResult;
    use crate::{NoArgs, Tools, tool};

    #[test]
    fn tools_link_views_and_app_only_tools_are_marked() {
        let tools = Tools::new()
            .add(
                tool::<NoArgs>("list", "Lists.").view("ui://p/list"),
                |_, _| Ok(CallResult::text("x")),
            )
            .add(
                tool::<NoArgs>("refresh", "Refreshes.").app_only(),
                |_, _| Ok(CallResult::text("y")),
            )
            .add(tool::<NoArgs>("plain", "Plain."), |_, _| {
                Ok(CallResult::text("z"))
            });
        let links = tools.tool_views();
        assert_eq!(links.len(), 2, "a plain tool has no link");
        assert_eq!(links[0].tool, "list");
        assert_eq!(links[0].view.as_deref(), Some("ui://p/list"));
        assert_eq!(links[0].visibility, Visibility::MODEL | Visibility::APP);
        assert_eq!(links[1].tool, "refresh");
        assert_eq!(links[1].visibility, Visibility::APP);
        let v = view("ui://p/list", "list", "<!doctype html>").connect_domain("https://a.example");
        assert_eq!(v.csp.connect_domains, vec!["https://a.example"]);
        assert_eq!(v.permissions, ViewPermissions::empty());
    }
}
