//! Whether a component asks only for what this host implements.
//!
//! The `kube-mcp:plugin` package grows by additions within its minor
//! version (`0.1.0`, `0.1.1`, ...; each new function carries `@since`), and
//! wasmtime links an import of `kubernetes@0.1.4` to this host's
//! `kubernetes@0.1.3` as semver-compatible. A plugin built against a newer
//! package that calls a function this host lacks would then fail to link
//! with wasmtime's words; this check runs first and names what is missing,
//! so the operator knows to upgrade the server.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use wasmtime::Engine;
use wasmtime::component::Component;
use wasmtime::component::types::ComponentItem;

use crate::wit;

/// The package this host's interfaces belong to, without a version.
const PACKAGE: &str = "kube-mcp:plugin";

/// What this host implements of the package: each interface's functions.
pub struct HostPackage {
    /// `0.1.3`
    pub version: String,
    functions: BTreeMap<String, BTreeSet<String>>,
}

impl HostPackage {
    /// This binary's package, read from the WIT it was built with.
    pub fn this_host() -> &'static HostPackage {
        static PACKAGE: LazyLock<HostPackage> =
            LazyLock::new(|| HostPackage::parse(wit::SOURCES).expect("the built-in WIT parses"));
        &PACKAGE
    }

    /// The package of `sources` (path, text).
    pub fn parse(sources: &[(&str, &str)]) -> anyhow::Result<HostPackage> {
        let mut map = wit_parser::SourceMap::new();
        for (path, text) in sources {
            map.push_str(path, *text);
        }
        let group = map.parse().map_err(|(_, e)| anyhow::Error::from(e))?;
        let mut resolve = wit_parser::Resolve::default();
        let id = resolve.push_group(group)?;
        let package = &resolve.packages[id];
        let functions = package
            .interfaces
            .iter()
            .map(|(name, interface)| {
                let functions = resolve.interfaces[*interface].functions.keys().cloned();
                (name.clone(), functions.collect())
            })
            .collect();
        Ok(HostPackage {
            version: package
                .name
                .version
                .as_ref()
                .map_or_else(String::new, ToString::to_string),
            functions,
        })
    }

    /// What `component` imports of this package that this host does not
    /// implement: `kubernetes.exec (kube-mcp:plugin@0.1.3)`, one per
    /// function (or interface).
    pub fn missing(&self, engine: &Engine, component: &Component) -> Vec<String> {
        let mut missing = Vec::new();
        for (name, item) in component.component_type().imports(engine) {
            let Some(interface_at) = name.strip_prefix(PACKAGE).and_then(|n| n.strip_prefix('/'))
            else {
                continue;
            };
            let (interface, version) = interface_at
                .split_once('@')
                .unwrap_or((interface_at, "unversioned"));
            let from = format!("{PACKAGE}@{version}");
            let Some(ours) = self.functions.get(interface) else {
                missing.push(format!("the {interface} interface ({from})"));
                continue;
            };
            if let ComponentItem::ComponentInstance(instance) = item.ty {
                for (function, item) in instance.exports(engine) {
                    if matches!(item.ty, ComponentItem::ComponentFunc(_))
                        && !ours.contains(function)
                    {
                        missing.push(format!("{interface}.{function} ({from})"));
                    }
                }
            }
        }
        missing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_package_lists_its_functions() {
        let host = HostPackage::this_host();
        let world = wit::SOURCES[0].1;
        assert!(
            world.contains(&format!("package {PACKAGE}@{};", host.version)),
            "{}",
            host.version
        );
        let kubernetes = &host.functions["kubernetes"];
        for function in ["get", "list-page", "patch", "create-subresource"] {
            assert!(kubernetes.contains(function), "{function}");
        }
        assert!(host.functions["tool-provider"].contains("call-tool"));
    }
}
