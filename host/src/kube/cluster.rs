//! What the gateway sends requests to: a [`Cluster`], and what it answers.

use crate::BoxFuture;
use crate::answer::{self, table::TableResponse};
use crate::wit::kubernetes::{ApiResource, Error, ExecOutput, ProxyResponse, ServerVersion};

use super::operation::Operation;
use super::shape::Sight;

/// What the cluster answered.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// An object or a List, shaped (see [`Cluster`]).
    Json(serde_json::Value),
    /// Text (a log).
    Text(String),
    /// The API server's table of a list (or the List's identities, for an
    /// API that renders no tables).
    Table(TableResponse),
    /// What a command run in a container did.
    Exec(ExecOutput),
    /// What a proxied endpoint answered.
    Proxy(ProxyResponse),
}

impl Reply {
    /// The answer as text, for the functions that return it as it is.
    pub fn into_text(self) -> String {
        match self {
            Reply::Json(value) => value.to_string(),
            Reply::Text(text) => text,
            Reply::Table(_) => unreachable!("tables are only asked for by list-page"),
            Reply::Exec(_) | Reply::Proxy(_) => {
                unreachable!("exec and proxy-get answers are records, never text")
            }
        }
    }
}

/// A Kubernetes cluster the host talks to on plugins' behalf.
///
/// Implementations choose the identity (the server's service account, or
/// the caller impersonated), shape what comes back, and map API errors onto
/// [`Error`] keeping the API's reason and message. They never see a request
/// the plugin's grant does not cover.
pub trait Cluster: Send + Sync {
    /// Every resource type the API server offers (cached).
    fn api_resources(&self) -> BoxFuture<'_, Result<Vec<ApiResource>, Error>>;

    /// The API server's version.
    fn server_version(&self) -> BoxFuture<'_, Result<ServerVersion, Error>>;

    /// Sends one operation for `plugin`, for caller `as_user` (who the
    /// request acts as, by the cluster's identity mode). Returns the
    /// API server's answer: shaped JSON, text for logs, a table for
    /// [`Operation::ListPage`] with `table` set.
    fn send<'a>(
        &'a self,
        plugin: &'a str,
        as_user: &'a KubeCaller,
        operation: Operation,
    ) -> BoxFuture<'a, Result<Reply, Error>>;

    /// [`Cluster::send`], for a request that may see more of Secrets than
    /// shaped answers show ([`Sight::HelmRecords`]: a grant narrowed to
    /// Helm's records covers it). A cluster that shapes nothing sends it
    /// as any other.
    fn send_seeing<'a>(
        &'a self,
        plugin: &'a str,
        as_user: &'a KubeCaller,
        operation: Operation,
        sight: Sight,
    ) -> BoxFuture<'a, Result<Reply, Error>> {
        let _ = sight;
        self.send(plugin, as_user, operation)
    }

    /// How answers are written and how big they may be.
    fn answers(&self) -> answer::Defaults {
        answer::Defaults::default()
    }
}

/// Who a request acts as in Kubernetes when the server impersonates
/// callers: `Impersonate-User` and one `Impersonate-Group` per group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Impersonated {
    pub user: String,
    pub groups: Vec<String>,
}

/// A bearer token: the caller's, or one exchanged for it. Never printed:
/// its `Debug` shows only that it is there, and it has no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct BearerToken(std::sync::Arc<str>);

impl BearerToken {
    pub fn new(token: impl Into<std::sync::Arc<str>>) -> BearerToken {
        BearerToken(token.into())
    }

    /// The token itself, for the one place that sends it.
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerToken(redacted)")
    }
}

/// Whom a request is made for, as each cluster's identity mode needs it:
/// the name to impersonate, or the caller's own token to exchange.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KubeCaller {
    /// Set when some cluster impersonates callers.
    pub impersonated: Option<Impersonated>,
    /// The caller's verified access token (absent without authentication).
    pub token: Option<BearerToken>,
}

/// A cluster every call to fails as `unavailable`, saying why: none is
/// configured ([`Unusable::none`]), or the server could not set up a client for
/// it (an unreadable kubeconfig, no service account).
#[derive(Debug, Clone)]
pub struct Unusable(pub String);

impl Cluster for Unusable {
    fn api_resources(&self) -> BoxFuture<'_, Result<Vec<ApiResource>, Error>> {
        Box::pin(async { Err(Error::Unavailable(self.0.clone())) })
    }

    fn server_version(&self) -> BoxFuture<'_, Result<ServerVersion, Error>> {
        Box::pin(async { Err(Error::Unavailable(self.0.clone())) })
    }

    fn send<'a>(
        &'a self,
        _: &'a str,
        _: &'a KubeCaller,
        _: Operation,
    ) -> BoxFuture<'a, Result<Reply, Error>> {
        Box::pin(async { Err(Error::Unavailable(self.0.clone())) })
    }
}

impl Unusable {
    /// The cluster of a server that has none configured.
    pub fn none() -> Unusable {
        Unusable("this server has no Kubernetes cluster configured".into())
    }
}
