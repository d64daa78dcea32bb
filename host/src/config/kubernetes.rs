//! `kubernetes.*`: the clusters, whose identity, and how answers look.

use super::error::{ConfigError, parse};
use super::layer::{RawCluster, RawTokenExchange};
use super::settings::Layer;
use super::values::{existing_file, parse_answer_budget, parse_bool};
use super::{Origin, Sourced};
use crate::kube::exchange::ExchangeConfig;
use crate::kube::{ClusterConfig, ClusterSource, KubeIdentity, KubernetesConfig};

/// `kubernetes.*`: the clusters, whose identity, and how answers look.
pub(super) fn kubernetes_section(layer: &mut Layer) -> Result<KubernetesConfig, ConfigError> {
    let kubeconfig = parse(layer.kubeconfig.take(), existing_file)?;
    let out_of_cluster = parse(layer.out_of_cluster.take(), parse_bool)?;
    let identity = parse(layer.kube_identity.take(), |mode| {
        match identity_mode(mode)? {
            Mode::Identity(identity) => Ok(identity),
            Mode::TokenExchange => Err(
                "tokenExchange is chosen per cluster (kubernetes.clusters[].identity), each with \
             its tokenExchange settings"
                    .into(),
            ),
        }
    })?
    .map_or(KubeIdentity::ServiceAccount, |m| m.value);
    let raw_clusters = std::mem::take(&mut layer.clusters);
    if let Some(first) = raw_clusters.first() {
        // One way to say where the clusters are: the list, or the
        // single-cluster settings of before.
        let single = kubeconfig
            .as_ref()
            .map(|k| k.origin.clone())
            .or_else(|| out_of_cluster.as_ref().map(|o| o.origin.clone()));
        if let Some(single) = single {
            return Err(ConfigError::Conflict {
                first: single,
                second: first.at.clone(),
                message: "give every cluster in kubernetes.clusters (with its own kubeconfig), \
                          or one cluster with kubernetes.kubeconfig / outOfCluster",
            });
        }
    }
    let clusters = raw_clusters
        .into_iter()
        .map(|raw| cluster(raw, &identity))
        .collect::<Result<Vec<_>, _>>()?;
    check_clusters(&clusters)?;
    Ok(KubernetesConfig {
        kubeconfig: kubeconfig.map(|k| k.value),
        out_of_cluster: out_of_cluster.is_some_and(|b| b.value),
        identity,
        clusters: clusters.into_iter().map(|c| c.value).collect(),
        reveal_secrets: parse(layer.reveal_secrets.take(), parse_bool)?.is_some_and(|b| b.value),
        answers: crate::answer::Defaults {
            list_format: parse(layer.list_output.take(), str::parse)?
                .map_or_else(Default::default, |f| f.value),
            budget: parse(layer.answer_budget.take(), parse_answer_budget)?
                .map_or(crate::answer::DEFAULT_BUDGET, |b| b.value),
        },
    })
}

/// An identity mode as written.
enum Mode {
    Identity(KubeIdentity),
    /// Needs its settings (`tokenExchange`).
    TokenExchange,
}

fn identity_mode(mode: &str) -> Result<Mode, String> {
    match mode {
        "serviceAccount" | "service-account" => Ok(Mode::Identity(KubeIdentity::ServiceAccount)),
        "impersonate" => Ok(Mode::Identity(KubeIdentity::Impersonate)),
        "tokenExchange" => Ok(Mode::TokenExchange),
        other => Err(format!(
            "'{other}' is not an identity mode: use serviceAccount, impersonate or tokenExchange"
        )),
    }
}

/// `kubernetes.clusters[i].tokenExchange`.
fn token_exchange(raw: RawTokenExchange) -> Result<ExchangeConfig, ConfigError> {
    let missing = |what: &str| ConfigError::Invalid {
        origin: raw.at.clone(),
        message: format!("token exchange needs {what}"),
    };
    let token_url = parse(raw.token_url, |u| {
        let url = url::Url::parse(u).map_err(|e| format!("'{u}' is not a URL: {e}"))?;
        match url.scheme() {
            "https" => Ok(url),
            "http" if url.host_str().is_some_and(|h| h == "localhost" || h.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())) => Ok(url),
            _ => Err(format!(
                "'{u}' must be https (the caller's token is sent there); plain http only on loopback"
            )),
        }
    })?
    .ok_or_else(|| missing("tokenUrl (the identity provider's token endpoint)"))?
    .value;
    let non_empty = |v: &str| {
        if v.trim().is_empty() {
            Err("must not be empty".to_owned())
        } else {
            Ok(v.trim().to_owned())
        }
    };
    let client_id = parse(raw.client_id, non_empty)?
        .ok_or_else(|| missing("clientId (kube-mcp's client at the identity provider)"))?
        .value;
    let client_secret_file = parse(raw.client_secret_file, existing_file)?
        .ok_or_else(|| missing("clientSecretFile (a file holding the client's secret)"))?
        .value;
    let audience = parse(raw.audience, non_empty)?
        .ok_or_else(|| missing("audience (the audience the cluster's API server expects)"))?
        .value;
    Ok(ExchangeConfig {
        token_url,
        client_id,
        client_secret_file,
        audience,
        scope: parse(raw.scope, non_empty)?.map(|s| s.value),
        ca_file: parse(raw.ca_file, existing_file)?.map(|c| c.value),
    })
}

/// Whether `name` can name a cluster: what a kubeconfig context may be
/// called, less spaces and control characters (it is an enum value in
/// schemas and a word in messages).
pub fn cluster_name(name: &str) -> Result<String, String> {
    if name.is_empty() || name.len() > 253 {
        return Err("a cluster name has 1 to 253 characters".into());
    }
    if let Some(bad) = name
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || matches!(c, ',' | '*' | '"'))
    {
        return Err(format!(
            "'{name}' cannot name a cluster: it contains {bad:?} (no spaces, commas, '*' or quotes)"
        ));
    }
    Ok(name.to_owned())
}

/// A `clusters` list of a grant or a rule: names of clusters, at least
/// one; absent is every cluster (empty).
pub fn cluster_names(clusters: Option<Sourced<Vec<String>>>) -> Result<Vec<String>, ConfigError> {
    let Some(clusters) = clusters else {
        return Ok(Vec::new());
    };
    Ok(clusters
        .try_map(|names| {
            if names.is_empty() {
                return Err(
                    "must name at least one cluster (leave it out for every cluster)".into(),
                );
            }
            names.iter().map(|n| cluster_name(n)).collect()
        })?
        .value)
}

/// One `kubernetes.clusters[]` entry.
fn cluster(
    raw: RawCluster,
    identity: &KubeIdentity,
) -> Result<Sourced<ClusterConfig>, ConfigError> {
    let invalid = |origin: &Origin, message: &str| ConfigError::Invalid {
        origin: origin.clone(),
        message: message.to_owned(),
    };
    let name = parse(raw.name, cluster_name)?;
    let kubeconfig = parse(raw.kubeconfig, existing_file)?;
    let context = raw.context;
    let all_contexts = parse(raw.all_contexts, parse_bool)?.is_some_and(|b| b.value);
    let in_cluster = parse(raw.in_cluster, parse_bool)?.filter(|b| b.value);
    let source = match (kubeconfig, in_cluster) {
        (Some(k), Some(i)) => {
            return Err(ConfigError::Conflict {
                first: k.origin,
                second: i.origin,
                message: "a cluster is reached in-cluster or through a kubeconfig, not both",
            });
        }
        (None, Some(i)) => {
            if let Some(context) = &context {
                return Err(invalid(
                    &context.origin,
                    "a context belongs to a kubeconfig; this cluster is in-cluster",
                ));
            }
            if all_contexts {
                return Err(invalid(&i.origin, "allContexts needs a kubeconfig"));
            }
            ClusterSource::InCluster
        }
        (Some(k), None) if all_contexts => {
            if let Some(context) = &context {
                return Err(invalid(
                    &context.origin,
                    "allContexts serves every context of the kubeconfig; leave out context",
                ));
            }
            if let Some(name) = &name {
                return Err(invalid(
                    &name.origin,
                    "with allContexts each cluster is named after its context; leave out name",
                ));
            }
            ClusterSource::AllContexts {
                kubeconfig: k.value,
            }
        }
        (Some(k), None) => ClusterSource::Kubeconfig {
            kubeconfig: k.value,
            context: context.map(|c| c.value),
        },
        (None, None) => {
            return Err(invalid(
                &raw.at,
                "a cluster needs a kubeconfig (with an optional context, or allContexts: true) \
                 or inCluster: true",
            ));
        }
    };
    let name = match (name, &source) {
        (Some(name), _) => Some(name.value),
        (None, ClusterSource::AllContexts { .. }) => None,
        (None, _) => return Err(invalid(&raw.at, "a cluster needs a name")),
    };
    let mode = parse(raw.identity, identity_mode)?;
    let identity = match (mode, raw.token_exchange) {
        (
            Some(Sourced {
                value: Mode::TokenExchange,
                origin,
            }),
            exchange,
        ) => {
            let Some(exchange) = exchange else {
                return Err(invalid(
                    &origin,
                    "tokenExchange needs the cluster's tokenExchange settings (tokenUrl, \
                     clientId, clientSecretFile, audience)",
                ));
            };
            KubeIdentity::TokenExchange(Box::new(token_exchange(exchange)?))
        }
        (_, Some(exchange)) => {
            return Err(invalid(
                &exchange.at,
                "tokenExchange settings are used only with identity: tokenExchange",
            ));
        }
        (
            Some(Sourced {
                value: Mode::Identity(identity),
                ..
            }),
            None,
        ) => identity,
        (None, None) => identity.clone(),
    };
    let default = parse(raw.default, parse_bool)?;
    if default.as_ref().is_some_and(|d| d.value)
        && matches!(source, ClusterSource::AllContexts { .. })
    {
        return Err(invalid(
            &raw.at,
            "allContexts names several clusters; mark one default with the kubeconfig's \
             current-context, or list the default cluster on its own",
        ));
    }
    Ok(Sourced::new(
        ClusterConfig {
            name,
            source,
            identity,
            default: default.is_some_and(|d| d.value),
        },
        raw.at,
    ))
}

/// Names are unique, and at most one cluster is the default.
fn check_clusters(clusters: &[Sourced<ClusterConfig>]) -> Result<(), ConfigError> {
    for (i, cluster) in clusters.iter().enumerate() {
        for earlier in &clusters[..i] {
            if cluster.value.name.is_some() && cluster.value.name == earlier.value.name {
                return Err(ConfigError::Invalid {
                    origin: cluster.origin.clone(),
                    message: format!(
                        "cluster '{}' is named twice (also at {})",
                        cluster.value.name.as_deref().unwrap_or_default(),
                        earlier.origin
                    ),
                });
            }
            if cluster.value.default && earlier.value.default {
                return Err(ConfigError::Conflict {
                    first: earlier.origin.clone(),
                    second: cluster.origin.clone(),
                    message: "only one cluster is the default",
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::config::file;
    use std::path::Path;

    fn load(yaml: &str) -> Result<Config, String> {
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = dir.path().join("kubeconfig");
        std::fs::write(&kubeconfig, "apiVersion: v1\nkind: Config\n").unwrap();
        let yaml = format!("plugins:\n  dir: {}\n{yaml}", dir.path().display())
            .replace("KUBECONFIG", kubeconfig.to_str().unwrap());
        let layer = file::parse(&yaml, Path::new("c.yaml")).map_err(|e| e.to_string())?;
        Config::resolve(layer).map_err(|e| e.to_string())
    }

    #[test]
    fn clusters_are_read_with_their_identity_and_default() {
        let config = load(
            "kubernetes:\n  identity: impersonate\n  clusters:\n  - {name: a, kubeconfig: KUBECONFIG, context: one}\n  - {name: b, kubeconfig: KUBECONFIG, identity: serviceAccount, default: true}\n  - {kubeconfig: KUBECONFIG, allContexts: true}\n",
        )
        .unwrap();
        let clusters = &config.kubernetes.clusters;
        assert_eq!(clusters.len(), 3);
        assert_eq!(clusters[0].name.as_deref(), Some("a"));
        assert_eq!(clusters[0].identity, crate::kube::KubeIdentity::Impersonate);
        assert!(!clusters[0].default);
        assert_eq!(
            clusters[1].identity,
            crate::kube::KubeIdentity::ServiceAccount
        );
        assert!(clusters[1].default);
        assert!(matches!(
            clusters[2].source,
            crate::kube::ClusterSource::AllContexts { .. }
        ));
        let exchanging = load(
            "kubernetes:\n  clusters:\n  - {name: a, kubeconfig: KUBECONFIG, identity: tokenExchange, tokenExchange: {tokenUrl: 'https://idp.example/realms/r/protocol/openid-connect/token', clientId: kube-mcp, clientSecretFile: KUBECONFIG, audience: cluster-a, scope: openid}}\n",
        )
        .unwrap();
        let crate::kube::KubeIdentity::TokenExchange(exchange) =
            &exchanging.kubernetes.clusters[0].identity
        else {
            panic!("tokenExchange");
        };
        assert_eq!(exchange.client_id, "kube-mcp");
        assert_eq!(exchange.audience, "cluster-a");
        assert_eq!(exchange.scope.as_deref(), Some("openid"));
        assert_eq!(
            exchange.token_url.as_str(),
            "https://idp.example/realms/r/protocol/openid-connect/token"
        );
    }

    #[test]
    fn bad_clusters_are_refused_naming_the_key() {
        let cases = [
            (
                "  - {name: a}\n",
                "key 'kubernetes.clusters[0]' in c.yaml: a cluster needs a kubeconfig",
            ),
            (
                "  - {kubeconfig: KUBECONFIG}\n",
                "key 'kubernetes.clusters[0]' in c.yaml: a cluster needs a name",
            ),
            (
                "  - {name: a, kubeconfig: KUBECONFIG}\n  - {name: a, inCluster: true}\n",
                "key 'kubernetes.clusters[1]' in c.yaml: cluster 'a' is named twice",
            ),
            (
                "  - {name: a, kubeconfig: KUBECONFIG, default: true}\n  - {name: b, inCluster: true, default: true}\n",
                "only one cluster is the default",
            ),
            (
                "  - {name: 'a b', inCluster: true}\n",
                "key 'kubernetes.clusters[0].name' in c.yaml: 'a b' cannot name a cluster",
            ),
            (
                "  - {name: a, inCluster: true, identity: root}\n",
                "key 'kubernetes.clusters[0].identity' in c.yaml: 'root' is not an identity mode",
            ),
            (
                "  - {name: a, inCluster: true, kubeconfig: KUBECONFIG}\n",
                "a cluster is reached in-cluster or through a kubeconfig, not both",
            ),
            (
                "  - {name: a, kubeconfig: KUBECONFIG, allContexts: true}\n",
                "key 'kubernetes.clusters[0].name' in c.yaml: with allContexts",
            ),
            ("  - {name: a, inCluster: true, server: x}\n", "server"),
        ];
        for (clusters, expected) in cases {
            let error = load(&format!("kubernetes:\n  clusters:\n{clusters}")).unwrap_err();
            assert!(error.contains(expected), "{clusters}: {error}");
        }
        let top = load("kubernetes:\n  identity: tokenExchange\n").unwrap_err();
        assert!(top.contains("tokenExchange is chosen per cluster"), "{top}");
        let both = load(
            "kubernetes:\n  kubeconfig: KUBECONFIG\n  clusters:\n  - {name: a, inCluster: true}\n",
        )
        .unwrap_err();
        assert!(both.contains("are both set"), "{both}");
    }
}
