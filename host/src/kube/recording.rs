//! A cluster for tests, shared by the host's own and its integration
//! tests: it records every operation that reaches it and answers each with
//! a function of the operation, so a test proves what was (or was never)
//! sent without a control plane.

use std::sync::Mutex;

use super::cluster::{Cluster, KubeCaller, Reply};
use super::operation::Operation;
use crate::BoxFuture;
use crate::wit::kubernetes::{ApiResource, Error, ServerVersion};

type Answer = Box<dyn Fn(&Operation) -> Result<Reply, Error> + Send + Sync>;

/// Records what is sent to it; answers with a function of the operation.
/// Discovery is empty and the version unavailable.
pub struct RecordingCluster {
    sent: Mutex<Vec<Operation>>,
    answer: Answer,
}

impl RecordingCluster {
    /// A cluster that answers every operation with `answer(operation)`.
    pub fn answering(
        answer: impl Fn(&Operation) -> Result<Reply, Error> + Send + Sync + 'static,
    ) -> RecordingCluster {
        RecordingCluster {
            sent: Mutex::default(),
            answer: Box::new(answer),
        }
    }

    /// A cluster that answers every operation with this JSON.
    pub fn json(value: serde_json::Value) -> RecordingCluster {
        RecordingCluster::answering(move |_| Ok(Reply::Json(value.clone())))
    }

    /// What reached the cluster, in order.
    pub fn sent(&self) -> Vec<Operation> {
        self.sent.lock().expect("sent lock").clone()
    }
}

impl Cluster for RecordingCluster {
    fn api_resources(&self) -> BoxFuture<'_, Result<Vec<ApiResource>, Error>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    fn server_version(&self) -> BoxFuture<'_, Result<ServerVersion, Error>> {
        Box::pin(async {
            Err(Error::Unavailable(
                "a recording cluster has no version".into(),
            ))
        })
    }

    fn send<'a>(
        &'a self,
        _plugin: &'a str,
        _as_user: &'a KubeCaller,
        operation: Operation,
    ) -> BoxFuture<'a, Result<Reply, Error>> {
        let answer = (self.answer)(&operation);
        self.sent.lock().expect("sent lock").push(operation);
        Box::pin(async move { answer })
    }
}
