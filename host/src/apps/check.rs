//! A plugin's views and tool links, checked at load against what the
//! plugin offers and what the operator granted.

use std::collections::{BTreeMap, BTreeSet};

use super::{Csp, MAX_VIEW_BYTES, Permissions, PluginViews, SCHEME, ToolLink, View, Visibility};
use crate::wit::app_provider;

/// Checks `views` and `links` of plugin `plugin` (whose tools are `tools`);
/// `granted` are the origins the operator allows its views to reach. The
/// error names the view or tool and what is wrong.
pub fn check(
    plugin: &str,
    tools: &BTreeSet<&str>,
    views: Vec<app_provider::View>,
    links: Vec<app_provider::ToolView>,
    granted: &[String],
) -> Result<PluginViews, String> {
    let prefix = format!("{SCHEME}{plugin}/");
    let mut checked = PluginViews::default();
    for view in views {
        if !view.uri.starts_with(&prefix) || view.uri.len() == prefix.len() {
            return Err(format!(
                "view '{}' must have a URI under '{prefix}' (the plugin's own)",
                view.uri
            ));
        }
        if url::Url::parse(&view.uri).is_err() || view.uri.contains(char::is_whitespace) {
            return Err(format!("view '{}' is not a URI", view.uri));
        }
        if checked.view(&view.uri).is_some() {
            return Err(format!("view '{}' is declared twice", view.uri));
        }
        if view.name.trim().is_empty() {
            return Err(format!("view '{}' has no name", view.uri));
        }
        if view.html.len() > MAX_VIEW_BYTES {
            return Err(format!(
                "view '{}' is {} bytes, over the limit of {} bytes (views are one \
                 self-contained document: inline what it needs, minified)",
                view.uri,
                view.html.len(),
                MAX_VIEW_BYTES
            ));
        }
        if view.html.trim().is_empty() {
            return Err(format!("view '{}' has an empty document", view.uri));
        }
        let csp = &view.csp;
        let mut declared = Csp::default();
        for (directive, asked, out) in [
            (
                "connect-domains",
                &csp.connect_domains,
                &mut declared.connect,
            ),
            (
                "resource-domains",
                &csp.resource_domains,
                &mut declared.resource,
            ),
            ("frame-domains", &csp.frame_domains, &mut declared.frame),
            (
                "base-uri-domains",
                &csp.base_uri_domains,
                &mut declared.base_uri,
            ),
        ] {
            for origin in asked {
                check_origin(origin)
                    .map_err(|why| format!("view '{}': {directive} '{origin}' {why}", view.uri))?;
                if granted.iter().any(|g| g.eq_ignore_ascii_case(origin)) {
                    out.push(origin.to_ascii_lowercase());
                } else {
                    checked
                        .ungranted
                        .push(format!("{} {directive} {origin}", view.uri));
                }
            }
        }
        let p = view.permissions;
        checked.views.push(View {
            uri: view.uri,
            name: view.name,
            title: view.title,
            description: view.description,
            html: view.html,
            csp: declared,
            permissions: Permissions {
                camera: p.contains(app_provider::ViewPermissions::CAMERA),
                microphone: p.contains(app_provider::ViewPermissions::MICROPHONE),
                geolocation: p.contains(app_provider::ViewPermissions::GEOLOCATION),
                clipboard_write: p.contains(app_provider::ViewPermissions::CLIPBOARD_WRITE),
            },
            prefers_border: view.prefers_border,
        });
    }
    let mut linked = BTreeMap::new();
    for link in links {
        if !tools.contains(link.tool.as_str()) {
            return Err(format!(
                "tool-views names tool '{}', which the plugin does not offer",
                link.tool
            ));
        }
        if let Some(view) = &link.view
            && checked.view(view).is_none()
        {
            return Err(format!(
                "tool '{}' shows view '{view}', which is not one of the plugin's views",
                link.tool
            ));
        }
        let visibility = Visibility {
            model: link.visibility.contains(app_provider::Visibility::MODEL),
            app: link.visibility.contains(app_provider::Visibility::APP),
        };
        if !visibility.model && !visibility.app {
            return Err(format!(
                "tool '{}' is visible to neither the model nor apps",
                link.tool
            ));
        }
        let tool = link.tool.clone();
        let previous = linked.insert(
            link.tool,
            ToolLink {
                view: link.view,
                visibility,
            },
        );
        if previous.is_some() {
            return Err(format!("tool-views names tool '{tool}' twice"));
        }
    }
    checked.links = linked;
    Ok(checked)
}

/// A CSP source an operator may grant: `scheme://host[:port]`, the host
/// optionally `*.`-prefixed, and nothing else. Anything more (a path, a
/// `;`, a keyword such as `'unsafe-eval'`, a bare `*`) could widen or
/// rewrite the policy a client builds from it.
pub fn check_origin(origin: &str) -> Result<(), &'static str> {
    let (scheme, rest) = origin
        .split_once("://")
        .ok_or("is not an origin like https://api.example.com")?;
    if !matches!(
        scheme.to_ascii_lowercase().as_str(),
        "https" | "http" | "wss" | "ws"
    ) {
        return Err("must use https, http, wss or ws");
    }
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (rest, None),
    };
    if let Some(port) = port
        && (port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err("has a port that is not a number");
    }
    let name = host.strip_prefix("*.").unwrap_or(host);
    let labels_ok = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
        });
    if !labels_ok {
        return Err("must be scheme://host[:port] with a DNS name (optionally *.), nothing more");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use app_provider::{ToolView, ViewCsp, ViewPermissions};

    fn view(uri: &str, connect: &[&str]) -> app_provider::View {
        app_provider::View {
            uri: uri.into(),
            name: "list".into(),
            title: None,
            description: None,
            html: "<!doctype html><title>x</title>".into(),
            csp: ViewCsp {
                connect_domains: connect.iter().map(|s| s.to_string()).collect(),
                resource_domains: Vec::new(),
                frame_domains: Vec::new(),
                base_uri_domains: Vec::new(),
            },
            permissions: ViewPermissions::empty(),
            prefers_border: Some(true),
        }
    }

    fn link(tool: &str, view: Option<&str>, visibility: app_provider::Visibility) -> ToolView {
        ToolView {
            tool: tool.into(),
            view: view.map(Into::into),
            visibility,
        }
    }

    fn tools() -> BTreeSet<&'static str> {
        ["pods_list", "refresh"].into()
    }

    #[test]
    fn views_live_under_the_plugins_own_uri() {
        let err = check(
            "p",
            &tools(),
            vec![view("ui://other/list", &[])],
            vec![],
            &[],
        )
        .unwrap_err();
        assert!(err.contains("must have a URI under 'ui://p/'"), "{err}");
        let err = check(
            "p",
            &tools(),
            vec![view("https://p/list", &[])],
            vec![],
            &[],
        )
        .unwrap_err();
        assert!(err.contains("ui://p/"), "{err}");
        check("p", &tools(), vec![view("ui://p/list", &[])], vec![], &[]).unwrap();
    }

    #[test]
    fn oversized_views_are_refused_with_the_limit() {
        let mut big = view("ui://p/list", &[]);
        big.html = "x".repeat(MAX_VIEW_BYTES + 1);
        let err = check("p", &tools(), vec![big], vec![], &[]).unwrap_err();
        assert!(err.contains("over the limit of 524288 bytes"), "{err}");
    }

    #[test]
    fn only_granted_origins_are_declared() {
        let granted = vec!["https://api.example.com".to_string()];
        let checked = check(
            "p",
            &tools(),
            vec![view(
                "ui://p/list",
                &["https://api.example.com", "https://evil.example"],
            )],
            vec![],
            &granted,
        )
        .unwrap();
        assert_eq!(
            checked.views[0].csp.connect,
            vec!["https://api.example.com"]
        );
        assert_eq!(
            checked.ungranted,
            vec!["ui://p/list connect-domains https://evil.example"]
        );
    }

    #[test]
    fn origins_that_would_rewrite_the_policy_are_refused() {
        for bad in [
            "https://a.example; script-src *",
            "*",
            "'unsafe-eval'",
            "https://a.example/path",
            "javascript://x",
            "data:",
            "https://",
            "https://a.example:port",
            "https://a b.example",
        ] {
            let err = check(
                "p",
                &tools(),
                vec![view("ui://p/list", &[bad])],
                vec![],
                &[],
            )
            .unwrap_err();
            assert!(
                err.contains(&format!("connect-domains '{bad}'")),
                "{bad}: {err}"
            );
        }
        for good in [
            "https://api.example.com",
            "wss://rt.example.com:8443",
            "https://*.example.com",
            "http://localhost:8080",
        ] {
            check_origin(good).unwrap();
        }
    }

    #[test]
    fn links_name_the_plugins_own_tools_and_views() {
        use app_provider::Visibility as V;
        let views = || vec![view("ui://p/list", &[])];
        let err = check(
            "p",
            &tools(),
            views(),
            vec![link("nodes_list", Some("ui://p/list"), V::MODEL)],
            &[],
        )
        .unwrap_err();
        assert!(err.contains("names tool 'nodes_list'"), "{err}");
        let err = check(
            "p",
            &tools(),
            views(),
            vec![link("pods_list", Some("ui://kube-core/list"), V::MODEL)],
            &[],
        )
        .unwrap_err();
        assert!(
            err.contains("shows view 'ui://kube-core/list', which is not one of the plugin's"),
            "{err}"
        );
        let err = check(
            "p",
            &tools(),
            views(),
            vec![link("refresh", None, V::empty())],
            &[],
        )
        .unwrap_err();
        assert!(err.contains("neither the model nor apps"), "{err}");
        let checked = check(
            "p",
            &tools(),
            views(),
            vec![
                link("pods_list", Some("ui://p/list"), V::MODEL | V::APP),
                link("refresh", None, V::APP),
            ],
            &[],
        )
        .unwrap();
        assert!(checked.model_visible("pods_list"));
        assert!(!checked.model_visible("refresh"));
    }
}
