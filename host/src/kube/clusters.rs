//! Several clusters behind one server: each named, one the default.
//!
//! Plugins never see this: a call is aimed at one cluster (the `context`
//! argument the MCP layer adds, or the default), and every Kubernetes
//! request of that call goes to it. Each member has its own client, so
//! discovery, connection pools and caches are per cluster, and a cluster
//! that is down fails only the calls aimed at it.

use std::path::PathBuf;
use std::sync::Arc;

use super::client::KubeCluster;
use super::cluster::{Cluster, Unusable};
use super::config::{ClusterSource, KubeIdentity, KubernetesConfig};

/// What a caller may know of a cluster: never credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterAbout {
    /// The API server's URL.
    pub server: String,
    pub identity: KubeIdentity,
    /// Why the server could not set up a client for it, if it could not.
    pub broken: Option<String>,
}

/// One cluster of the set.
#[derive(Clone)]
pub struct Member {
    pub name: Arc<str>,
    pub cluster: Arc<dyn Cluster>,
    pub about: ClusterAbout,
}

/// The clusters of one server; never empty.
#[derive(Clone)]
pub struct ClusterSet {
    members: Vec<Member>,
    default: usize,
}

impl std::fmt::Debug for ClusterSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterSet")
            .field("names", &self.names().collect::<Vec<_>>())
            .field("default", &self.default_name())
            .finish()
    }
}

impl Default for ClusterSet {
    /// No cluster configured: one member that answers `unavailable`.
    fn default() -> Self {
        ClusterSet::single(Arc::new(Unusable::none()))
    }
}

impl ClusterSet {
    /// One cluster, named `default`.
    pub fn single(cluster: Arc<dyn Cluster>) -> ClusterSet {
        ClusterSet::of(vec![("default", cluster)])
    }

    /// Clusters by name; the first is the default (tests).
    pub fn of(members: Vec<(&str, Arc<dyn Cluster>)>) -> ClusterSet {
        ClusterSet {
            members: members
                .into_iter()
                .map(|(name, cluster)| Member {
                    name: name.into(),
                    cluster,
                    about: ClusterAbout {
                        server: String::new(),
                        identity: KubeIdentity::ServiceAccount,
                        broken: None,
                    },
                })
                .collect(),
            default: 0,
        }
    }

    /// The member called `name`, or the default one for `None`.
    pub fn member(&self, name: Option<&str>) -> Option<&Member> {
        match name {
            None => self.members.get(self.default),
            Some(name) => self.members.iter().find(|m| &*m.name == name),
        }
    }

    /// The default cluster's name.
    pub fn default_name(&self) -> &str {
        &self.members[self.default].name
    }

    /// Every cluster's name, in configuration order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.members.iter().map(|m| &*m.name)
    }

    /// Every member, in configuration order.
    pub fn members(&self) -> &[Member] {
        &self.members
    }

    /// Whether there is more than one cluster (tools then take `context`).
    pub fn several(&self) -> bool {
        self.members.len() > 1
    }

    /// A client for every configured cluster. A cluster the server cannot
    /// set up a client for (an unreadable kubeconfig, no service account)
    /// stays in the set, failing its calls with the reason, so one bad
    /// entry does not take the others down.
    pub async fn connect(config: &KubernetesConfig) -> ClusterSet {
        let mut members = Vec::new();
        let mut default = None;
        for (name, source, identity, is_default) in planned(config) {
            let built = match kube_config(&source).await {
                Ok(kube_config) => {
                    let server = kube_config.cluster_url.to_string();
                    KubeCluster::connect(kube_config, identity.clone(), config)
                        .map(|c| (c as Arc<dyn Cluster>, server))
                }
                Err(e) => Err(e),
            };
            let (cluster, about) = match built {
                Ok((cluster, server)) => (
                    cluster,
                    ClusterAbout {
                        server,
                        identity,
                        broken: None,
                    },
                ),
                Err(e) => {
                    let reason = format!("{e:#}");
                    tracing::warn!(
                        cluster = %name,
                        "cluster '{name}' cannot be used; its calls will fail as unavailable: {reason}"
                    );
                    (
                        Arc::new(Unusable(format!(
                            "cluster '{name}' is not usable: {reason}"
                        ))) as Arc<dyn Cluster>,
                        ClusterAbout {
                            server: String::new(),
                            identity,
                            broken: Some(reason),
                        },
                    )
                }
            };
            if is_default && default.is_none() {
                default = Some(members.len());
            }
            if members.iter().any(|m: &Member| *m.name == *name) {
                tracing::warn!(cluster = %name, "a second cluster named '{name}' is left out");
                continue;
            }
            members.push(Member {
                name: name.into(),
                cluster,
                about,
            });
        }
        ClusterSet {
            members,
            default: default.unwrap_or(0),
        }
    }
}

/// The clusters `config` names: name, source, identity, whether default.
/// `allContexts` is expanded here, reading the kubeconfig's contexts.
fn planned(config: &KubernetesConfig) -> Vec<(String, ClusterSource, KubeIdentity, bool)> {
    if config.clusters.is_empty() {
        let source = match &config.kubeconfig {
            Some(path) => ClusterSource::Kubeconfig {
                kubeconfig: path.clone(),
                context: None,
            },
            None if config.out_of_cluster => ClusterSource::Kubeconfig {
                kubeconfig: default_kubeconfig(),
                context: None,
            },
            None => ClusterSource::InCluster,
        };
        let name = match &source {
            ClusterSource::Kubeconfig { kubeconfig, .. } => read(kubeconfig)
                .ok()
                .and_then(|k| k.current_context)
                .unwrap_or_else(|| "default".into()),
            _ => "in-cluster".into(),
        };
        return vec![(name, source, config.identity.clone(), true)];
    }
    let mut planned = Vec::new();
    for cluster in &config.clusters {
        match (&cluster.source, &cluster.name) {
            (ClusterSource::AllContexts { kubeconfig }, _) => {
                let Ok(file) = read(kubeconfig) else {
                    tracing::warn!("cannot read kubeconfig {}", kubeconfig.display());
                    continue;
                };
                let current = file.current_context.clone();
                for context in file.contexts {
                    let source = ClusterSource::Kubeconfig {
                        kubeconfig: kubeconfig.clone(),
                        context: Some(context.name.clone()),
                    };
                    let is_default = current.as_deref() == Some(context.name.as_str())
                        && !config.clusters.iter().any(|c| c.default);
                    planned.push((context.name, source, cluster.identity.clone(), is_default));
                }
            }
            (source, name) => planned.push((
                name.clone().unwrap_or_else(|| "default".into()),
                source.clone(),
                cluster.identity.clone(),
                cluster.default,
            )),
        }
    }
    planned
}

/// `$KUBECONFIG`'s first file, or `~/.kube/config`.
fn default_kubeconfig() -> PathBuf {
    std::env::var_os("KUBECONFIG")
        .and_then(|k| std::env::split_paths(&k).next())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".kube/config")))
        .unwrap_or_else(|| PathBuf::from(".kube/config"))
}

fn read(path: &std::path::Path) -> anyhow::Result<kube::config::Kubeconfig> {
    use anyhow::Context;
    kube::config::Kubeconfig::read_from(path)
        .with_context(|| format!("cannot read kubeconfig {}", path.display()))
}

/// kube-rs's configuration for `source`.
async fn kube_config(source: &ClusterSource) -> anyhow::Result<kube::Config> {
    use anyhow::Context;
    let (kubeconfig, context) = match source {
        ClusterSource::InCluster => {
            return kube::Config::incluster()
                .context("not running in a cluster (no service account); give a kubeconfig");
        }
        ClusterSource::Kubeconfig {
            kubeconfig,
            context,
        } => (kubeconfig, context.clone()),
        ClusterSource::AllContexts { kubeconfig } => (kubeconfig, None),
    };
    let options = kube::config::KubeConfigOptions {
        context,
        ..Default::default()
    };
    kube::Config::from_custom_kubeconfig(read(kubeconfig)?, &options)
        .await
        .with_context(|| format!("cannot use kubeconfig {}", kubeconfig.display()))
}
