//! The calling client, as a plugin's call sees it: progress and log
//! notifications of that call, and elicitation and sampling requests to
//! that client.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use rmcp::model::{LoggingMessageNotificationParam, ProgressNotificationParam, ProgressToken};
use rmcp::service::{Peer, RoleServer};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::convert;
use super::round_trip::RoundTrip;
use crate::BoxFuture;
use crate::plugins::ClientPeer;
use crate::plugins::{ClientSupport, Question, Unanswered};
use crate::wit::client::{Answer, ClientError};
use crate::wit::log::Level;
use rmcp::task_manager::TaskContext;

/// At most this many notifications are forwarded per call; the rest are
/// dropped, so a plugin cannot flood its client.
const NOTIFICATIONS_PER_CALL: u32 = 1000;

/// MCP log severities, least severe first (RFC 5424 order).
pub const LOG_LEVELS: &[&str] = &[
    "debug",
    "info",
    "notice",
    "warning",
    "error",
    "critical",
    "alert",
    "emergency",
];

/// The severity rank of an MCP level name.
pub fn severity(level: &str) -> Option<usize> {
    LOG_LEVELS.iter().position(|l| *l == level)
}

fn mcp_level(level: Level) -> &'static str {
    match level {
        Level::Trace | Level::Debug => "debug",
        Level::Info => "info",
        Level::Warn => "warning",
        Level::Error => "error",
    }
}

enum Outgoing {
    Progress(ProgressNotificationParam),
    Log(LoggingMessageNotificationParam),
}

/// Where a call's notifications go: nowhere yet, a forwarding task (started
/// on the first notification, since most calls send none), or nowhere any
/// more.
enum Outbox {
    Idle,
    Open(mpsc::UnboundedSender<Outgoing>, JoinHandle<()>),
    Closed,
}

/// How a call's questions reach the client.
pub enum Asking {
    /// Over the session, while the call runs (MCP 2025-06-18, 2025-11-25).
    Live,
    /// From the answers the request brings, or else back to the client
    /// with the response (MCP 2026-07-28).
    RoundTrip(Arc<RoundTrip>),
    /// Not at all: the request cannot carry questions.
    Never,
}

/// A call's request to go on as a task; the reply says whether it does.
pub type DetachRequest = tokio::sync::oneshot::Sender<bool>;

/// One call's view of the client that made it.
pub struct SessionClient {
    peer: Peer<RoleServer>,
    support: ClientSupport,
    asking: Asking,
    /// Where a request to go on as a task goes, when the call may.
    detacher: Mutex<Option<mpsc::UnboundedSender<DetachRequest>>>,
    /// The task the call goes on as, once it does.
    task: Mutex<Option<TaskContext>>,
    /// How long a task may run.
    task_timeout: std::time::Duration,
    progress_token: Option<ProgressToken>,
    /// The least severe level the client asked for, if it asked.
    min_log_severity: Option<usize>,
    outbox: Mutex<Outbox>,
    sent: AtomicU32,
}

impl SessionClient {
    /// A client for one call. Notifications are sent in order by a task
    /// that [`SessionClient::close`] hands back to be awaited.
    pub fn new(
        peer: Peer<RoleServer>,
        support: ClientSupport,
        asking: Asking,
        progress_token: Option<ProgressToken>,
        min_log_severity: Option<usize>,
    ) -> SessionClient {
        SessionClient {
            peer,
            support,
            asking,
            detacher: Mutex::new(None),
            task: Mutex::new(None),
            task_timeout: std::time::Duration::ZERO,
            progress_token,
            min_log_severity,
            outbox: Mutex::new(Outbox::Idle),
            sent: AtomicU32::new(0),
        }
    }

    /// Lets the call ask to go on as a task of at most `timeout`, through
    /// `detacher`.
    pub fn may_detach(
        mut self,
        detacher: mpsc::UnboundedSender<DetachRequest>,
        timeout: std::time::Duration,
    ) -> SessionClient {
        self.detacher = Mutex::new(Some(detacher));
        self.task_timeout = timeout;
        self
    }

    /// The call now goes on as `task`: its questions and reports go there.
    pub fn attach_task(&self, task: TaskContext) {
        *self.task.lock().expect("task lock") = Some(task);
    }

    fn task(&self) -> Option<TaskContext> {
        self.task.lock().expect("task lock").clone()
    }

    /// Stops taking notifications. Returns the forwarding task, if one
    /// started, which ends once it has sent what is queued.
    pub fn close(&self) -> Option<JoinHandle<()>> {
        match std::mem::replace(
            &mut *self.outbox.lock().expect("outbox lock"),
            Outbox::Closed,
        ) {
            Outbox::Open(_, forwarder) => Some(forwarder),
            Outbox::Idle | Outbox::Closed => None,
        }
    }

    fn send(&self, message: Outgoing) {
        if self.sent.fetch_add(1, Ordering::Relaxed) >= NOTIFICATIONS_PER_CALL {
            return;
        }
        let mut outbox = self.outbox.lock().expect("outbox lock");
        if let Outbox::Idle = *outbox {
            let (tx, mut rx) = mpsc::unbounded_channel();
            let peer = self.peer.clone();
            let forwarder = tokio::spawn(async move {
                while let Some(message) = rx.recv().await {
                    let sent = match message {
                        Outgoing::Progress(p) => peer.notify_progress(p).await,
                        Outgoing::Log(l) => peer.notify_logging_message(l).await,
                    };
                    if let Err(e) = sent {
                        tracing::debug!("cannot notify the client: {e}");
                        break;
                    }
                }
            });
            *outbox = Outbox::Open(tx, forwarder);
        }
        if let Outbox::Open(tx, _) = &*outbox {
            let _ = tx.send(message);
        }
    }
}

impl ClientPeer for SessionClient {
    fn support(&self) -> ClientSupport {
        self.support
    }

    fn progress(&self, progress: f64, total: Option<f64>, message: Option<String>) {
        if let Some(task) = self.task() {
            let status = match (message, total) {
                (Some(message), _) => message,
                (None, Some(total)) => format!("{progress} of {total}"),
                (None, None) => format!("{progress}"),
            };
            task.set_status_message(status);
            return;
        }
        let Some(token) = &self.progress_token else {
            return;
        };
        let mut params = Map::new();
        params.insert("progressToken".into(), json!(token));
        params.insert("progress".into(), json!(progress));
        if let Some(total) = total {
            params.insert("total".into(), json!(total));
        }
        if let Some(message) = message {
            params.insert("message".into(), message.into());
        }
        match serde_json::from_value(Value::Object(params)) {
            Ok(params) => self.send(Outgoing::Progress(params)),
            Err(e) => tracing::debug!("dropping a progress report: {e}"),
        }
    }

    fn log(&self, level: Level, logger: &str, message: &str) {
        let level = mcp_level(level);
        match (self.min_log_severity, severity(level)) {
            (Some(min), Some(this)) if this >= min => {}
            _ => return,
        }
        let params = json!({"level": level, "logger": logger, "data": message});
        match serde_json::from_value(params) {
            Ok(params) => self.send(Outgoing::Log(params)),
            Err(e) => tracing::debug!("dropping a log message: {e}"),
        }
    }

    fn ask(
        &self,
        questions: Vec<(String, Question)>,
    ) -> BoxFuture<'_, Result<Vec<Answer>, Unanswered>> {
        Box::pin(async move {
            if let Some(task) = self.task() {
                return ask_in_task(&task, questions).await;
            }
            match &self.asking {
                Asking::RoundTrip(trip) => trip.ask(questions),
                Asking::Never => Err(Unanswered::Client(ClientError::Unsupported)),
                Asking::Live => {
                    let mut answers = Vec::with_capacity(questions.len());
                    for (_, question) in questions {
                        answers.push(self.ask_live(question).await?);
                    }
                    Ok(answers)
                }
            }
        })
    }

    fn detach(&self) -> BoxFuture<'_, Option<std::time::Duration>> {
        Box::pin(async move {
            let detacher = self.detacher.lock().expect("detacher lock").take()?;
            let (reply, detached) = tokio::sync::oneshot::channel();
            detacher.send(reply).ok()?;
            detached.await.unwrap_or(false).then_some(self.task_timeout)
        })
    }
}

/// Asks `questions` as the task's pending input, all at once, and waits
/// for every answer (`tasks/update`).
async fn ask_in_task(
    task: &TaskContext,
    questions: Vec<(String, Question)>,
) -> Result<Vec<Answer>, Unanswered> {
    let mut waiting = Vec::with_capacity(questions.len());
    for (key, question) in &questions {
        let request = convert::input_request(question)?;
        let task = task.clone();
        let key = key.clone();
        waiting.push(tokio::spawn(async move {
            task.request_input(key, request).await
        }));
    }
    let mut answers = Vec::with_capacity(questions.len());
    for ((key, question), waiting) in questions.iter().zip(waiting) {
        let value = match waiting.await {
            Ok(Ok(value)) => value,
            Ok(Err(_)) | Err(_) => {
                return Err(Unanswered::Client(ClientError::Failed(
                    "the task was cancelled while waiting for the client".into(),
                )));
            }
        };
        let answer = convert::answer(question, value).map_err(|why| {
            ClientError::Failed(format!("the client's answer to '{key}' is {why}"))
        })?;
        answers.push(answer);
    }
    Ok(answers)
}

impl SessionClient {
    /// Asks one question over the session, waiting for the answer.
    async fn ask_live(&self, question: Question) -> Result<Answer, ClientError> {
        let failed =
            |e: rmcp::ServiceError| ClientError::Failed(format!("the client did not answer: {e}"));
        match question {
            Question::Elicit { message, schema } => {
                let request = convert::elicit_request(message, schema)?;
                let result = self
                    .peer
                    .create_elicitation(request)
                    .await
                    .map_err(failed)?;
                convert::elicitation(result).map(Answer::Elicitation)
            }
            Question::CreateMessage(request) => {
                let params = convert::sampling_request(&request)?;
                let result = self.peer.create_message(params).await.map_err(failed)?;
                convert::sampling_response(result).map(Answer::Message)
            }
            Question::ListRoots => {
                let result = self.peer.list_roots().await.map_err(failed)?;
                Ok(Answer::Roots(convert::roots(result)))
            }
        }
    }
}
