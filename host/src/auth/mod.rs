//! Bearer-token authentication: who is calling, proven by a JWT from a
//! trusted OIDC issuer.
//!
//! - [`keys`]: each issuer's signing keys, from its discovery document and
//!   JWKS, cached and refreshed without letting forged tokens hammer it.
//! - [`validate`]: one token to a [`Principal`], or the precise reason not.
//! - [`layer`]: the axum middleware that guards `/mcp` (401/403 with the
//!   `WWW-Authenticate` challenge MCP clients follow), and the Protected
//!   Resource Metadata documents that tell clients where to get a token.

pub mod issuer;
pub mod keys;
pub mod layer;
pub mod validate;

use serde_json::{Map, Value};

use crate::kube::Impersonated;
use crate::wit::types::Caller;

pub use self::layer::{Auth, protected_resource_metadata, require_bearer};
pub use self::validate::{AuthError, Refusal, Rejection, Validator};

/// A verified caller.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    /// The issuer that signed the token.
    pub issuer: String,
    /// `sub`.
    pub subject: String,
    pub username: Option<String>,
    pub groups: Vec<String>,
    pub scopes: Vec<String>,
    /// Every claim of the token, for policy rules on claim values.
    pub claims: Map<String, Value>,
    /// Who the caller is in Kubernetes, when the server impersonates.
    pub impersonated: Option<Impersonated>,
}

impl Principal {
    /// Whether claim `name` is `value`, or is a list containing it.
    pub fn claim_has(&self, name: &str, value: &str) -> bool {
        match self.claims.get(name) {
            Some(Value::String(s)) => s == value,
            Some(Value::Array(items)) => items.iter().any(|i| i.as_str() == Some(value)),
            Some(Value::Bool(b)) => b.to_string() == value,
            Some(Value::Number(n)) => n.to_string() == value,
            _ => false,
        }
    }

    /// The caller as plugins see it.
    pub fn caller(&self) -> Caller {
        Caller {
            subject: self.subject.clone(),
            username: self.username.clone(),
            groups: self.groups.clone(),
            scopes: self.scopes.clone(),
        }
    }
}
