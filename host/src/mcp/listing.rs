//! `tools/list`, `prompts/list`, `resources/list` and
//! `resources/templates/list`: one generic list of what a caller may see,
//! in name order, a page at a time.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as CURSOR;
use rmcp::ErrorData;
use rmcp::model::{PaginatedRequestParams, Prompt, Resource, ResourceTemplate, Tool};

use super::convert;
use crate::plugins::Plugin;
use crate::policy::tools::Export;
use crate::wit::types;

/// Items per page of every list.
pub const PAGE_SIZE: usize = 100;

/// Something a plugin offers and a list shows.
pub trait Listed {
    /// How MCP shows it.
    type Shown;
    /// What policy rules name it by (and the list sorts by).
    fn key(&self) -> &str;
    /// It, as tool policy sees it.
    fn export<'a>(&'a self, plugin: &'a str) -> Export<'a>;
    fn show(&self) -> Result<Self::Shown, ErrorData>;
}

impl Listed for types::Tool {
    type Shown = Tool;
    fn key(&self) -> &str {
        &self.name
    }
    fn export<'a>(&'a self, plugin: &'a str) -> Export<'a> {
        Export::tool(&self.name, plugin)
    }
    fn show(&self) -> Result<Tool, ErrorData> {
        convert::tool(self)
    }
}

impl Listed for types::Prompt {
    type Shown = Prompt;
    fn key(&self) -> &str {
        &self.name
    }
    fn export<'a>(&'a self, plugin: &'a str) -> Export<'a> {
        Export::prompt(&self.name, plugin)
    }
    fn show(&self) -> Result<Prompt, ErrorData> {
        convert::prompt(self)
    }
}

impl Listed for types::ResourceInfo {
    type Shown = Resource;
    fn key(&self) -> &str {
        &self.uri
    }
    fn export<'a>(&'a self, plugin: &'a str) -> Export<'a> {
        Export::resource(&self.uri, plugin)
    }
    fn show(&self) -> Result<Resource, ErrorData> {
        convert::resource(self)
    }
}

impl Listed for types::ResourceTemplate {
    type Shown = ResourceTemplate;
    fn key(&self) -> &str {
        &self.uri_template
    }
    fn export<'a>(&'a self, plugin: &'a str) -> Export<'a> {
        Export::resource(&self.uri_template, plugin)
    }
    fn show(&self) -> Result<ResourceTemplate, ErrorData> {
        convert::resource_template(self)
    }
}

/// An item of `resources/list`: a plugin's resource, or one of its views
/// (shown to clients that declared MCP Apps).
pub enum ListedResource<'a> {
    Resource(&'a types::ResourceInfo),
    View(&'a crate::apps::View),
}

impl Listed for ListedResource<'_> {
    type Shown = Resource;
    fn key(&self) -> &str {
        match self {
            ListedResource::Resource(r) => r.key(),
            ListedResource::View(v) => &v.uri,
        }
    }
    fn export<'a>(&'a self, plugin: &'a str) -> Export<'a> {
        Export::resource(self.key(), plugin)
    }
    fn show(&self) -> Result<Resource, ErrorData> {
        match self {
            ListedResource::Resource(r) => r.show(),
            ListedResource::View(v) => serde_json::from_value(crate::apps::meta::listed(v))
                .map_err(|e| ErrorData::internal_error(format!("view '{}': {e}", v.uri), None)),
        }
    }
}

/// The page `request` asks for of the `items` the caller may see
/// (`visible`), and the cursor of the next one.
pub fn visible_page<'r, L: Listed + 'r>(
    items: impl Iterator<Item = (&'r Arc<Plugin>, &'r L)>,
    visible: impl Fn(&Export) -> bool,
    request: Option<PaginatedRequestParams>,
) -> Result<(Vec<L::Shown>, Option<String>), ErrorData> {
    let shown = items
        .filter(|(plugin, item)| visible(&item.export(plugin.name())))
        .map(|(_, item)| Ok((item.key().to_owned(), item.show()?)))
        .collect::<Result<Vec<_>, ErrorData>>()?;
    page(shown, request)
}

/// A page of `items` after the cursor (an item's name, opaque to clients).
fn page<T>(
    mut items: Vec<(String, T)>,
    request: Option<PaginatedRequestParams>,
) -> Result<(Vec<T>, Option<String>), ErrorData> {
    items.sort_by(|a, b| a.0.cmp(&b.0));
    let start = match request.and_then(|r| r.cursor) {
        None => 0,
        Some(cursor) => {
            let after = CURSOR
                .decode(cursor.as_bytes())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| ErrorData::invalid_params("invalid cursor", None))?;
            items.partition_point(|(name, _)| *name <= after)
        }
    };
    let end = (start + PAGE_SIZE).min(items.len());
    let next = (end < items.len()).then(|| CURSOR.encode(items[end - 1].0.as_bytes()));
    let page = items.drain(start..end).map(|(_, item)| item).collect();
    Ok((page, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(cursor: Option<String>) -> Option<PaginatedRequestParams> {
        serde_json::from_value(serde_json::json!({ "cursor": cursor })).ok()
    }

    #[test]
    fn pages_follow_name_order_and_survive_changes_between_them() {
        let items: Vec<(String, usize)> = (0..250).map(|i| (format!("tool{i:03}"), i)).collect();
        let (first, next) = page(items.clone(), None).unwrap();
        assert_eq!(first.len(), PAGE_SIZE);
        assert_eq!(first[0], 0);
        let (second, next) = page(items.clone(), request(next)).unwrap();
        assert_eq!(second[0], 100);
        // A tool added before the cursor does not shift the next page.
        let mut grown = items.clone();
        grown.push(("tool000a".into(), 999));
        let (third, next) = page(grown, request(next)).unwrap();
        assert_eq!((third.len(), third[0], next), (50, 200, None));
        let error = page(items, request(Some("!!not base64".into()))).unwrap_err();
        assert_eq!(error.message, "invalid cursor");
    }
}
