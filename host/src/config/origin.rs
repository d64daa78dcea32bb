//! Where a setting's value came from, so that every error can name it.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// The source of one setting's value.
///
/// Errors print the origin instead of an internal field name, so the user
/// reads `environment variable KUBE_MCP_PORT` or `key 'port' in
/// /etc/kube-mcp/config.yaml` and knows what to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The built-in default of the setting with this file key.
    Default(&'static str),
    /// A command-line flag, e.g. `--port`.
    Flag(String),
    /// An environment variable, e.g. `KUBE_MCP_PORT`.
    Env(String),
    /// A key (dotted path) in the configuration file.
    File { key: String, path: Arc<PathBuf> },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default(key) => write!(f, "default of {key}"),
            Origin::Flag(flag) => write!(f, "flag {flag}"),
            Origin::Env(name) => write!(f, "environment variable {name}"),
            Origin::File { key, path } => write!(f, "key '{key}' in {}", path.display()),
        }
    }
}

/// A value together with its [`Origin`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sourced<T> {
    pub value: T,
    pub origin: Origin,
}

impl<T> Sourced<T> {
    pub fn new(value: T, origin: Origin) -> Self {
        Sourced { value, origin }
    }

    pub fn default_value(value: T, key: &'static str) -> Self {
        Sourced::new(value, Origin::Default(key))
    }

    /// Applies a conversion, keeping the origin.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Sourced<U> {
        Sourced::new(f(self.value), self.origin)
    }

    // `try_map`, whose error is a `ConfigError`, is in `error.rs`.
}
