//! What the operator configured of Kubernetes: the clusters, how each is
//! reached, whose identity its requests carry, and how answers look.

use std::path::PathBuf;

use super::exchange::ExchangeConfig;
use crate::answer;

#[derive(Debug, Clone)]
pub struct KubernetesConfig {
    /// The one cluster's kubeconfig, when `clusters` is empty.
    pub kubeconfig: Option<PathBuf>,
    /// The one cluster is found by the usual kubeconfig search.
    pub out_of_cluster: bool,
    /// The identity of clusters that name none.
    pub identity: KubeIdentity,
    /// `kubernetes.clusters`; empty: one cluster, from the settings above.
    pub clusters: Vec<ClusterConfig>,
    /// Return Secret values instead of redacting them.
    pub reveal_secrets: bool,
    /// How lists are written by default, and how big an answer may be.
    pub answers: answer::Defaults,
}

/// Whose identity the server's Kubernetes requests carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KubeIdentity {
    /// The server's own credentials.
    ServiceAccount,
    /// The caller's, named by their issuer's [`KubeNaming`]:
    /// `Impersonate-User` and one `Impersonate-Group` per group.
    Impersonate,
    /// The caller's own: their access token exchanged (RFC 8693) for one
    /// the cluster trusts.
    TokenExchange(Box<ExchangeConfig>),
}

impl KubernetesConfig {
    /// Whether any cluster acts as its callers by impersonation (callers
    /// then need a Kubernetes name).
    pub fn impersonates(&self) -> bool {
        if self.clusters.is_empty() {
            self.identity == KubeIdentity::Impersonate
        } else {
            self.clusters
                .iter()
                .any(|c| c.identity == KubeIdentity::Impersonate)
        }
    }
}

impl std::fmt::Display for KubeIdentity {
    /// The configuration's spelling.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            KubeIdentity::ServiceAccount => "serviceAccount",
            KubeIdentity::Impersonate => "impersonate",
            KubeIdentity::TokenExchange(_) => "tokenExchange",
        })
    }
}

/// Where a configured cluster is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterSource {
    /// The service account of the pod the server runs in.
    InCluster,
    /// One context of a kubeconfig (its current context when `None`).
    Kubeconfig {
        kubeconfig: PathBuf,
        context: Option<String>,
    },
    /// Every context of a kubeconfig, each a cluster named after it.
    AllContexts { kubeconfig: PathBuf },
}

/// One `kubernetes.clusters[]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterConfig {
    /// `None` only for [`ClusterSource::AllContexts`].
    pub name: Option<String>,
    pub source: ClusterSource,
    pub identity: KubeIdentity,
    pub default: bool,
}
