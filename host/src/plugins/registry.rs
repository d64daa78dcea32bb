//! The set of loaded plugins, and which plugin owns which tool, prompt and
//! resource.

use std::collections::HashMap;
use std::sync::Arc;

use super::plugin::Plugin;
use crate::wit::types::{Prompt, ResourceInfo, ResourceTemplate, Tool};

/// Loaded plugins. Plugin names, tool names, prompt names, resource URIs and
/// resource templates are unique across it: a plugin that would collide is
/// refused, never silently shadowed.
#[derive(Debug, Default)]
pub struct Registry {
    plugins: Vec<Arc<Plugin>>,
    /// Tool name → index into `plugins`.
    tools: HashMap<String, usize>,
    /// Prompt name → index into `plugins`.
    prompts: HashMap<String, usize>,
    /// Resource URI → index into `plugins`.
    resources: HashMap<String, usize>,
}

impl Registry {
    /// Adds `plugin` unless its name, or one of its tools, prompts,
    /// resources or templates, is already taken.
    pub fn add(&mut self, plugin: Arc<Plugin>) -> Result<Arc<Plugin>, String> {
        if let Some(existing) = self.plugins.iter().find(|p| p.name() == plugin.name()) {
            return Err(format!(
                "plugin name '{}' is already used by {}",
                plugin.name(),
                existing.path.display()
            ));
        }
        let taken = |what: &str, name: &str, owner: usize| {
            let owner = &self.plugins[owner];
            format!(
                "{what} '{name}' is already provided by plugin '{}' ({})",
                owner.name(),
                owner.path.display()
            )
        };
        for tool in &plugin.tools {
            if let Some(&owner) = self.tools.get(&tool.name) {
                return Err(taken("tool", &tool.name, owner));
            }
        }
        for prompt in &plugin.prompts {
            if let Some(&owner) = self.prompts.get(&prompt.name) {
                return Err(taken("prompt", &prompt.name, owner));
            }
        }
        for resource in &plugin.resources {
            if let Some(&owner) = self.resources.get(&resource.uri) {
                return Err(taken("resource", &resource.uri, owner));
            }
        }
        for template in &plugin.templates {
            if let Some((owner, _)) = self
                .templates()
                .find(|(_, t)| t.uri_template == template.uri_template)
            {
                let owner = self.plugins.iter().position(|p| Arc::ptr_eq(p, owner));
                return Err(taken(
                    "resource template",
                    &template.uri_template,
                    owner.expect("an owner is registered"),
                ));
            }
        }
        let index = self.plugins.len();
        for tool in &plugin.tools {
            self.tools.insert(tool.name.clone(), index);
        }
        for prompt in &plugin.prompts {
            self.prompts.insert(prompt.name.clone(), index);
        }
        for resource in &plugin.resources {
            self.resources.insert(resource.uri.clone(), index);
        }
        self.plugins.push(plugin.clone());
        Ok(plugin)
    }

    pub fn plugins(&self) -> &[Arc<Plugin>] {
        &self.plugins
    }

    /// The plugin providing tool `name`, and the tool.
    pub fn tool(&self, name: &str) -> Option<(&Arc<Plugin>, &Tool)> {
        let plugin = &self.plugins[*self.tools.get(name)?];
        let tool = plugin.tools.iter().find(|t| t.name == name)?;
        Some((plugin, tool))
    }

    /// Every tool, in plugin load order.
    pub fn tools(&self) -> impl Iterator<Item = (&Arc<Plugin>, &Tool)> {
        self.plugins
            .iter()
            .flat_map(|p| p.tools.iter().map(move |t| (p, t)))
    }

    /// The plugin providing prompt `name`, and the prompt.
    pub fn prompt(&self, name: &str) -> Option<(&Arc<Plugin>, &Prompt)> {
        let plugin = &self.plugins[*self.prompts.get(name)?];
        let prompt = plugin.prompts.iter().find(|p| p.name == name)?;
        Some((plugin, prompt))
    }

    /// Every prompt, in plugin load order.
    pub fn prompts(&self) -> impl Iterator<Item = (&Arc<Plugin>, &Prompt)> {
        self.plugins
            .iter()
            .flat_map(|p| p.prompts.iter().map(move |x| (p, x)))
    }

    /// Every resource at a fixed URI, in plugin load order.
    pub fn resources(&self) -> impl Iterator<Item = (&Arc<Plugin>, &ResourceInfo)> {
        self.plugins
            .iter()
            .flat_map(|p| p.resources.iter().map(move |x| (p, x)))
    }

    /// Every resource template, in plugin load order.
    pub fn templates(&self) -> impl Iterator<Item = (&Arc<Plugin>, &ResourceTemplate)> {
        self.plugins
            .iter()
            .flat_map(|p| p.templates.iter().map(move |x| (p, x)))
    }

    /// The plugin that serves `uri`: the one listing it, else the first
    /// whose template matches it.
    pub fn resource_owner(&self, uri: &str) -> Option<&Arc<Plugin>> {
        if let Some(&index) = self.resources.get(uri) {
            return Some(&self.plugins[index]);
        }
        self.templates()
            .find(|(_, t)| template_matches(&t.uri_template, uri))
            .map(|(p, _)| p)
    }

    /// The plugin whose view is at `uri`, and the view.
    pub fn view(&self, uri: &str) -> Option<(&Arc<Plugin>, &crate::apps::View)> {
        self.plugins
            .iter()
            .find_map(|p| p.views.view(uri).map(|v| (p, v)))
    }

    /// Every view, in plugin load order.
    pub fn views(&self) -> impl Iterator<Item = (&Arc<Plugin>, &crate::apps::View)> {
        self.plugins
            .iter()
            .flat_map(|p| p.views.views.iter().map(move |v| (p, v)))
    }

    /// The plugin owning a resource template, by its URI template.
    pub fn template_owner(&self, uri_template: &str) -> Option<&Arc<Plugin>> {
        self.templates()
            .find(|(_, t)| t.uri_template == uri_template)
            .map(|(p, _)| p)
    }
}

/// Whether `uri` is an expansion of the RFC 6570 `template`, for simple
/// `{name}` variables: each variable matches one or more characters other
/// than `/`, `?` and `#`.
pub fn template_matches(template: &str, uri: &str) -> bool {
    // Split into literal text and variables, alternately.
    let mut literals = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            return false;
        };
        literals.push(&rest[..open]);
        rest = &rest[open + close + 1..];
    }
    literals.push(rest);
    let Some(mut remaining) = uri.strip_prefix(literals[0]) else {
        return false;
    };
    for (i, literal) in literals.iter().enumerate().skip(1) {
        let last = i == literals.len() - 1;
        let end = if last && literal.is_empty() {
            remaining.len()
        } else if last {
            match remaining.strip_suffix(literal) {
                Some(value) => value.len(),
                None => return false,
            }
        } else {
            match remaining.find(literal) {
                Some(end) if !literal.is_empty() => end,
                _ => return false,
            }
        };
        let value = &remaining[..end];
        if value.is_empty() || value.contains(['/', '?', '#']) {
            return false;
        }
        remaining = &remaining[end + literal.len()..];
    }
    remaining.is_empty()
}

#[cfg(test)]
mod tests {
    use super::template_matches;

    #[test]
    fn templates_match_their_expansions_only() {
        let t = "test://template/{id}/data";
        assert!(template_matches(t, "test://template/123/data"));
        assert!(!template_matches(t, "test://template//data"));
        assert!(!template_matches(t, "test://template/1/2/data"));
        assert!(!template_matches(t, "test://template/123/data/more"));
        assert!(!template_matches(t, "other://template/123/data"));
        assert!(template_matches("k8s://{ns}/{name}", "k8s://demo/web"));
        assert!(!template_matches("k8s://{ns}/{name}", "k8s://demo/"));
        assert!(template_matches("plain://fixed", "plain://fixed"));
        assert!(!template_matches("broken://{x", "broken://{x"));
    }
}
