//! The Kubernetes gateway, whole: what plugins may ask of the cluster, and
//! how it is asked.
//!
//! A plugin's request travels through these files in order:
//! - [`host`]: the `kubernetes` WIT interface; validates arguments into an
//!   [`Operation`];
//! - [`operation`]: the request resolved into an [`Operation`], each path
//!   segment checked;
//! - [`gateway`]: [`KubeAccess`] checks the plugin's effective grant
//!   ([`grants`]: what it requested ∩ what the operator granted);
//! - [`cluster`]: the [`Cluster`] trait the checked operation is sent to,
//!   one of the server's [`clusters`] (the call's `context`, or the default);
//! - [`config`]: what the operator configured (clusters, identity modes);
//! - [`client`]: [`KubeCluster`], that trait over kube-rs, with
//!   [`discovery`], the [`shape`] of answers (Secrets redacted) and
//!   [`errors`] that keep the API's reason; [`exec`] and [`proxy`] hold the
//!   two requests that are not plain REST (a WebSocket stream, a path into
//!   the target).

pub mod client;
pub mod cluster;
pub mod clusters;
pub mod config;
mod discovery;
mod errors;
pub mod exchange;
pub mod exec;
pub mod gateway;
pub mod grants;
pub mod host;
pub mod operation;
pub mod proxy;
pub mod recording;
mod segments;
mod shape;

pub use self::client::{KubeCluster, MAX_ANSWER_BYTES, MAX_LIST_LIMIT};
pub use self::cluster::{BearerToken, Cluster, Impersonated, KubeCaller, Reply, Unusable};
pub use self::clusters::ClusterSet;
pub use self::config::{ClusterConfig, ClusterSource, KubeIdentity, KubernetesConfig};
pub use self::gateway::{KubeAccess, requested_capability};
pub use self::host::{KubeHost, KubeView};
pub use self::operation::Operation;
pub use self::recording::RecordingCluster;
pub use self::shape::Sight;
