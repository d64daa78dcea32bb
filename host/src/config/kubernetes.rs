//! `kubernetes.*`: the cluster, whose identity, and how answers look.

use super::error::{ConfigError, parse};
use super::settings::Layer;
use super::values::{existing_file, parse_answer_budget, parse_bool};
use crate::kube::{KubeIdentity, KubernetesConfig};

/// `kubernetes.*`: the cluster, whose identity, and how answers look.
pub(super) fn kubernetes_section(layer: &mut Layer) -> Result<KubernetesConfig, ConfigError> {
    Ok(KubernetesConfig {
        kubeconfig: parse(layer.kubeconfig.take(), existing_file)?.map(|k| k.value),
        out_of_cluster: parse(layer.out_of_cluster.take(), parse_bool)?.is_some_and(|b| b.value),
        identity: match parse(layer.kube_identity.take(), |s| match s {
            "serviceAccount" | "service-account" => Ok(false),
            "impersonate" => Ok(true),
            other => Err(format!(
                "'{other}' is not an identity mode: use serviceAccount or impersonate"
            )),
        })?
        .map(|m| m.value)
        {
            Some(true) => KubeIdentity::Impersonate,
            _ => KubeIdentity::ServiceAccount,
        },
        reveal_secrets: parse(layer.reveal_secrets.take(), parse_bool)?.is_some_and(|b| b.value),
        answers: crate::answer::Defaults {
            list_format: parse(layer.list_output.take(), str::parse)?
                .map_or_else(Default::default, |f| f.value),
            budget: parse(layer.answer_budget.take(), parse_answer_budget)?
                .map_or(crate::answer::DEFAULT_BUDGET, |b| b.value),
        },
    })
}
