//! Bearer-token authentication: who is calling, proven by a JWT from a
//! trusted OIDC issuer.
//!
//! - [`keys`]: each issuer's signing keys, from its discovery document and
//!   JWKS, cached and refreshed without letting forged tokens hammer it.
//! - [`validate`]: one token to a [`Principal`] (named by its [`CallerId`]),
//!   or the precise reason not.
//! - [`layer`]: the axum middleware that guards `/mcp` (401/403 with the
//!   `WWW-Authenticate` challenge MCP clients follow), and the Protected
//!   Resource Metadata documents that tell clients where to get a token.

pub mod issuer;
pub mod keys;
pub mod layer;
pub mod validate;

use serde_json::{Map, Value};

use crate::kube::{BearerToken, Impersonated};
use crate::wit::types::Caller;

pub use self::layer::{Auth, protected_resource_metadata, require_bearer};
pub use self::validate::{AuthError, ImpersonationRefusal, Rejection, Validator};

/// Who a caller is: the issuer that vouches for them and the subject it
/// names. Two issuers may each have an `alice`; they are two callers.
/// Sessions, tasks, request state, call slots and audit lines are keyed by
/// this, never by the subject alone.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallerId {
    /// The issuer that signed the token (empty without authentication).
    pub issuer: String,
    /// `sub` (empty without authentication).
    pub subject: String,
}

impl CallerId {
    /// The one caller of a server without authentication (stdio,
    /// `--no-auth`).
    pub fn anonymous() -> CallerId {
        CallerId {
            issuer: String::new(),
            subject: String::new(),
        }
    }
}

impl std::fmt::Display for CallerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.issuer.is_empty() && self.subject.is_empty() {
            f.write_str("anonymous")
        } else {
            write!(f, "{} at {}", self.subject, self.issuer)
        }
    }
}

/// A verified caller: the one value authentication puts into a request,
/// from which every other view of the caller is read.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    pub id: CallerId,
    pub username: Option<String>,
    pub groups: Vec<String>,
    pub scopes: Vec<String>,
    /// Every claim of the token, for policy rules on claim values.
    pub claims: Map<String, Value>,
    /// Who the caller is in Kubernetes, when the server impersonates.
    pub impersonated: Option<Impersonated>,
    /// The verified access token, for clusters that exchange it for their
    /// own (`tokenExchange`); never shown to plugins, never logged.
    pub token: Option<BearerToken>,
}

impl Principal {
    /// The caller of a server without authentication.
    pub fn anonymous() -> Principal {
        Principal::named(CallerId::anonymous())
    }

    /// A caller known only by `id`: no groups, scopes or claims.
    pub fn named(id: CallerId) -> Principal {
        Principal {
            id,
            username: None,
            groups: Vec::new(),
            scopes: Vec::new(),
            claims: Map::new(),
            impersonated: None,
            token: None,
        }
    }

    /// The issuer that signed the token.
    pub fn issuer(&self) -> &str {
        &self.id.issuer
    }

    /// `sub`.
    pub fn subject(&self) -> &str {
        &self.id.subject
    }

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
    pub fn for_plugins(&self) -> Caller {
        Caller {
            subject: self.id.subject.clone(),
            username: self.username.clone(),
            groups: self.groups.clone(),
            scopes: self.scopes.clone(),
        }
    }
}
