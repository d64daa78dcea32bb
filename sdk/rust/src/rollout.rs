//! How far a workload's rollout has got, read from its status the way
//! `kubectl rollout status` reads it.

use serde_json::Value;

/// The rollout of a Deployment, StatefulSet or DaemonSet.
#[derive(Debug, PartialEq)]
pub struct Rollout {
    pub desired: u64,
    pub updated: u64,
    pub available: u64,
    /// Whether the controller has seen the latest spec.
    pub observed: bool,
    /// Pods of the old template still running (Deployments).
    pub old: u64,
    /// Why the rollout can no longer finish, when the controller says so
    /// (a Deployment past its `progressDeadlineSeconds`).
    pub failed: Option<String>,
}

impl Rollout {
    /// The rollout of `object`, a workload of `kind`.
    pub fn of(kind: &str, object: &Value) -> Rollout {
        let number = |path: &str| object.pointer(path).and_then(Value::as_u64).unwrap_or(0);
        let replicas = || {
            object
                .pointer("/spec/replicas")
                .and_then(Value::as_u64)
                .unwrap_or(1)
        };
        let generation = number("/metadata/generation");
        let observed = number("/status/observedGeneration") >= generation;
        match kind {
            "DaemonSet" => Rollout {
                desired: number("/status/desiredNumberScheduled"),
                updated: number("/status/updatedNumberScheduled"),
                available: number("/status/numberAvailable"),
                observed,
                old: 0,
                failed: None,
            },
            "StatefulSet" => Rollout {
                desired: replicas(),
                updated: number("/status/updatedReplicas"),
                available: number("/status/availableReplicas"),
                observed: observed
                    && object.pointer("/status/currentRevision")
                        == object.pointer("/status/updateRevision"),
                old: 0,
                failed: None,
            },
            _ => {
                let updated = number("/status/updatedReplicas");
                let failed = object
                    .pointer("/status/conditions")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .find(|c| {
                        c.get("type").and_then(Value::as_str) == Some("Progressing")
                            && c.get("reason").and_then(Value::as_str)
                                == Some("ProgressDeadlineExceeded")
                    })
                    .map(|c| {
                        c.get("message")
                            .and_then(Value::as_str)
                            .unwrap_or("progress deadline exceeded")
                            .to_owned()
                    });
                Rollout {
                    desired: replicas(),
                    updated,
                    available: number("/status/availableReplicas"),
                    observed,
                    old: number("/status/replicas").saturating_sub(updated),
                    failed,
                }
            }
        }
    }

    /// Every pod updated and available, none of the old template left.
    pub fn complete(&self) -> bool {
        self.observed
            && self.updated >= self.desired
            && self.available >= self.desired
            && self.old == 0
    }

    /// `2 of 3 pods updated, 2 available`.
    pub fn describe(&self) -> String {
        let mut text = format!(
            "{} of {} pods updated, {} available",
            self.updated, self.desired, self.available
        );
        if self.old > 0 {
            text.push_str(&format!(", {} old still running", self.old));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_deployment_completes_when_every_pod_is_new_and_available() {
        let going = json!({"metadata": {"generation": 3}, "spec": {"replicas": 2},
            "status": {"observedGeneration": 3, "replicas": 3, "updatedReplicas": 2, "availableReplicas": 2}});
        let rollout = Rollout::of("Deployment", &going);
        assert!(!rollout.complete());
        assert_eq!(
            rollout.describe(),
            "2 of 2 pods updated, 2 available, 1 old still running"
        );
        let done = json!({"metadata": {"generation": 3}, "spec": {"replicas": 2},
            "status": {"observedGeneration": 3, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 2}});
        assert!(Rollout::of("Deployment", &done).complete());
        let unseen = json!({"metadata": {"generation": 4}, "spec": {"replicas": 2},
            "status": {"observedGeneration": 3, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 2}});
        assert!(!Rollout::of("Deployment", &unseen).complete());
    }

    #[test]
    fn a_deployment_past_its_deadline_has_failed() {
        let stuck = json!({"spec": {"replicas": 1}, "status": {"conditions": [
            {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
             "message": "ReplicaSet \"web-1\" has timed out progressing."}]}});
        assert_eq!(
            Rollout::of("Deployment", &stuck).failed.as_deref(),
            Some("ReplicaSet \"web-1\" has timed out progressing.")
        );
    }
}
