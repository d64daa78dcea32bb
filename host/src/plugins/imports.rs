//! The host side of the small interfaces plugins import: `log`, `config`,
//! `progress` and `client`, thin adapters over the call's state and its
//! [`ClientPeer`](super::context::ClientPeer). (`kubernetes` is in
//! [`crate::kube`].)

use super::call::CallState;
use crate::wit::{client, config, log, progress, types};

use std::sync::atomic::Ordering;

use super::context::{Question, Unanswered};
use crate::wit::client::{
    Answer, ClientCapabilities, ClientError, Elicitation, Root, SamplingRequest, SamplingResponse,
};
use crate::wit::log::Level;

impl types::Host for CallState {}

/// `log`: a plugin's lines go to the server's log, tagged with the plugin,
/// and to the calling client when it asked for log messages.
impl log::Host for CallState {
    /// Rate-limited with the plugin's stdout and stderr (one budget), the
    /// excess counted and dropped; long lines are cut.
    fn write(&mut self, level: Level, message: String) {
        let Some(dropped) = self.log_budget.take() else {
            return;
        };
        let plugin = &*self.plugin;
        super::guest_log::report(plugin, dropped);
        let (message, truncated) = super::guest_log::cut(&message);
        let message = if truncated {
            format!("{message} (cut)")
        } else {
            message.to_owned()
        };
        self.context.client.log(level, plugin, &message);
        let (call, tool) = (self.call, self.tool.as_deref().unwrap_or(""));
        let trace_id = crate::traces::current_trace_id();
        let trace_id = trace_id.as_deref();
        match level {
            Level::Trace => {
                tracing::trace!(target: "kube_mcp::plugin", plugin, call, tool, trace_id, "{message}")
            }
            Level::Debug => {
                tracing::debug!(target: "kube_mcp::plugin", plugin, call, tool, trace_id, "{message}")
            }
            Level::Info => {
                tracing::info!(target: "kube_mcp::plugin", plugin, call, tool, trace_id, "{message}")
            }
            Level::Warn => {
                tracing::warn!(target: "kube_mcp::plugin", plugin, call, tool, trace_id, "{message}")
            }
            Level::Error => {
                tracing::error!(target: "kube_mcp::plugin", plugin, call, tool, trace_id, "{message}")
            }
        }
    }
}

/// `config`: the operator's settings for this plugin.
impl config::Host for CallState {
    fn get(&mut self, key: String) -> Option<String> {
        self.settings.get(&key).cloned()
    }
}

/// `progress`: reports go to the client that made the call (or to its
/// task, once the call goes on as one).
impl progress::Host for CallState {
    async fn report(&mut self, progress: f64, total: Option<f64>, message: Option<String>) {
        if progress.is_finite() && total.is_none_or(f64::is_finite) {
            self.context.client.progress(progress, total, message);
        }
    }

    async fn detach(&mut self) -> bool {
        let client = self.context.client.clone();
        match client.detach().await {
            Some(timeout) => {
                self.deadline.extend(timeout);
                true
            }
            None => false,
        }
    }
}

/// The longest key a plugin may give a question (it becomes a JSON key
/// the client sees).
const MAX_KEY_LEN: usize = 64;

/// Stops a call whose questions go back to the client with the response
/// (MCP 2026-07-28); the answers come with the client's retry, when the
/// plugin runs again. Carried as the trap's error so the call's owner can
/// tell it from a fault.
#[derive(Debug, thiserror::Error)]
#[error("the call waits for the client's answers")]
pub struct InputRequired;

/// Stops a call that would leave a question unanswered after it changed the
/// cluster: the client's retry would rerun it and make the change again.
#[derive(Debug, thiserror::Error)]
#[error(
    "asked the client a question after changing the cluster; a stateless client's answer \
     reruns the plugin, which would make the change again, so questions must come first"
)]
pub struct AskedAfterChange;

/// `client`: requests to the calling client, bounded by the call's deadline
/// (the epoch deadline cannot interrupt the host while it waits).
impl client::Host for CallState {
    async fn capabilities(&mut self) -> wasmtime::Result<ClientCapabilities> {
        let support = self.context.client.support();
        Ok(ClientCapabilities {
            elicitation: support.elicitation,
            sampling: support.sampling,
        })
    }

    async fn elicit(
        &mut self,
        message: String,
        requested_schema: String,
    ) -> wasmtime::Result<Result<Elicitation, ClientError>> {
        let question = match form(message, &requested_schema) {
            Ok(question) => question,
            Err(e) => return Ok(Err(e)),
        };
        let key = self.next_key("elicit");
        Ok(self
            .ask_one(key, question)
            .await?
            .and_then(|answer| match answer {
                Answer::Elicitation(e) => Ok(e),
                _ => Err(mismatched()),
            }))
    }

    async fn create_message(
        &mut self,
        request: SamplingRequest,
    ) -> wasmtime::Result<Result<SamplingResponse, ClientError>> {
        let key = self.next_key("sample");
        let answer = self.ask_one(key, Question::CreateMessage(request)).await?;
        Ok(answer.and_then(|answer| match answer {
            Answer::Message(m) => Ok(m),
            _ => Err(mismatched()),
        }))
    }

    async fn list_roots(&mut self) -> wasmtime::Result<Result<Vec<Root>, ClientError>> {
        let key = self.next_key("roots");
        Ok(self
            .ask_one(key, Question::ListRoots)
            .await?
            .and_then(|answer| match answer {
                Answer::Roots(r) => Ok(r),
                _ => Err(mismatched()),
            }))
    }

    async fn ask(
        &mut self,
        questions: Vec<(String, client::Question)>,
    ) -> wasmtime::Result<Result<Vec<Answer>, ClientError>> {
        let mut checked = Vec::with_capacity(questions.len());
        for (key, question) in questions {
            if key.is_empty() || key.len() > MAX_KEY_LEN || key.chars().any(char::is_control) {
                return Ok(Err(ClientError::Failed(format!(
                    "question key '{key}' must be 1-{MAX_KEY_LEN} characters, none a control character"
                ))));
            }
            if checked.iter().any(|(k, _)| *k == key) {
                return Ok(Err(ClientError::Failed(format!(
                    "question key '{key}' is used twice"
                ))));
            }
            let question = match question {
                client::Question::Elicit(f) => match form(f.message, &f.requested_schema) {
                    Ok(question) => question,
                    Err(e) => return Ok(Err(e)),
                },
                client::Question::CreateMessage(request) => Question::CreateMessage(request),
                client::Question::ListRoots => Question::ListRoots,
            };
            checked.push((key, question));
        }
        if checked.is_empty() {
            return Ok(Ok(Vec::new()));
        }
        self.questions_asked += 1;
        self.ask_all(checked).await
    }
}

impl CallState {
    /// A key for a question asked on its own: `prefix-N`, N counting the
    /// call's questions, so a rerun of the same plugin makes the same keys.
    fn next_key(&mut self, prefix: &str) -> String {
        self.questions_asked += 1;
        format!("{prefix}-{}", self.questions_asked)
    }

    async fn ask_one(
        &mut self,
        key: String,
        question: Question,
    ) -> wasmtime::Result<Result<Answer, ClientError>> {
        Ok(self
            .ask_all(vec![(key, question)])
            .await?
            .map(|mut answers| answers.remove(0)))
    }

    /// Asks the client, if it supports every question; a deferred answer
    /// ends the call (see [`InputRequired`]).
    async fn ask_all(
        &mut self,
        questions: Vec<(String, Question)>,
    ) -> wasmtime::Result<Result<Vec<Answer>, ClientError>> {
        let support = self.context.client.support();
        if !questions.iter().all(|(_, q)| q.supported_by(support)) {
            return Ok(Err(ClientError::Unsupported));
        }
        let client = self.context.client.clone();
        // A round trip to the client: an elicitation in a session, or the
        // end of this request when the client answers in its next one.
        let span = tracing::info_span!(
            target: crate::traces::TARGET,
            "mcp.question",
            questions = questions.len(),
            answer = tracing::field::Empty,
        );
        let asked = tracing::Instrument::instrument(
            tokio::time::timeout_at(self.deadline.get().into(), client.ask(questions)),
            span.clone(),
        )
        .await;
        span.record(
            "answer",
            match &asked {
                Err(_) => "deadline",
                Ok(Ok(_)) => "answered",
                Ok(Err(Unanswered::Client(_))) => "failed",
                Ok(Err(Unanswered::Deferred)) => "input_required",
            },
        );
        match asked {
            Err(_) => Ok(Err(ClientError::Failed(
                "the call's deadline passed while waiting for the client".into(),
            ))),
            Ok(Ok(answers)) => Ok(Ok(answers)),
            Ok(Err(Unanswered::Client(e))) => Ok(Err(e)),
            Ok(Err(Unanswered::Deferred)) => {
                if self.changed_cluster.load(Ordering::Relaxed) {
                    Err(wasmtime::Error::new(AskedAfterChange))
                } else {
                    Err(wasmtime::Error::new(InputRequired))
                }
            }
        }
    }
}

/// A form question, its schema checked to be a JSON object.
fn form(message: String, requested_schema: &str) -> Result<Question, ClientError> {
    match serde_json::from_str(requested_schema) {
        Ok(serde_json::Value::Object(schema)) => Ok(Question::Elicit { message, schema }),
        Ok(_) => Err(ClientError::Failed(
            "requested-schema must be a JSON object".into(),
        )),
        Err(e) => Err(ClientError::Failed(format!(
            "requested-schema is not valid JSON: {e}"
        ))),
    }
}

/// A client peer answered a question with another kind of answer (a bug of
/// the peer, never of the plugin).
fn mismatched() -> ClientError {
    ClientError::Failed("the client's answer does not match the question".into())
}
