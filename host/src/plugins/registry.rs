//! The set of loaded plugins, and which plugin owns which tool.

use std::collections::HashMap;
use std::sync::Arc;

use super::bindings::types::Tool;
use super::plugin::Plugin;

/// Loaded plugins. Plugin names and tool names are unique across it: a
/// plugin that would collide is refused, never silently shadowed.
#[derive(Debug, Default)]
pub struct Registry {
    plugins: Vec<Arc<Plugin>>,
    /// Tool name → index into `plugins`.
    tools: HashMap<String, usize>,
}

impl Registry {
    /// Adds `plugin` unless its name or a tool name is already taken.
    pub fn add(&mut self, plugin: Arc<Plugin>) -> Result<Arc<Plugin>, String> {
        if let Some(existing) = self.plugins.iter().find(|p| p.name() == plugin.name()) {
            return Err(format!(
                "plugin name '{}' is already used by {}",
                plugin.name(),
                existing.path.display()
            ));
        }
        for tool in &plugin.tools {
            if let Some(&owner) = self.tools.get(&tool.name) {
                let owner = &self.plugins[owner];
                return Err(format!(
                    "tool '{}' is already provided by plugin '{}' ({})",
                    tool.name,
                    owner.name(),
                    owner.path.display()
                ));
            }
        }
        let index = self.plugins.len();
        for tool in &plugin.tools {
            self.tools.insert(tool.name.clone(), index);
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
}
