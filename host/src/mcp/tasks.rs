//! Tool calls that go on as tasks (the MCP tasks extension, SEP-2663).
//!
//! A call becomes a task when its plugin calls `progress.detach` (the tool
//! declares task support and the client opted into tasks): the request
//! returns a `CreateTaskResult` and the call runs on in the background,
//! under the task timeout. rmcp's [`TaskManager`] keeps each task's state
//! (working, input required, terminal with its result or error) and its
//! pending questions; [`Tasks`] adds what a multi-user server needs:
//! - every task belongs to the caller that started it, and is unknown to
//!   anyone else (`tasks/get`, `tasks/update` and `tasks/cancel` answer like
//!   for a task that does not exist);
//! - a caller may have at most `mcp.maxTasksPerCaller` running at once;
//! - a task lives at most `mcp.taskTimeout`, and its result is kept for
//!   [`RETENTION`] after that (its `ttlMs`).
//!
//! Tasks live in the replica that runs them: a client polling a task must
//! reach that replica (sticky routing); everything else in 2026-07-28 is
//! answered by any replica.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use rmcp::ErrorData;
use rmcp::model::{DetailedTask, Task};
use rmcp::task_manager::{TaskContext, TaskFuture, TaskManager, TaskOptions};

use crate::auth::CallerId;

/// How long a task's result is kept after its timeout could have ended it.
pub const RETENTION: Duration = Duration::from_secs(10 * 60);

/// How often clients are told to poll.
const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// The tasks of one server.
pub struct Tasks {
    manager: TaskManager,
    /// Task id → the caller that started it.
    owners: Mutex<HashMap<String, CallerId>>,
    /// Longest a task may run.
    pub timeout: Duration,
    max_per_caller: usize,
}

impl Tasks {
    pub fn new(timeout: Duration, max_per_caller: usize) -> Tasks {
        Tasks {
            manager: TaskManager::new(),
            owners: Mutex::default(),
            timeout,
            max_per_caller,
        }
    }

    /// Whether `caller` may start another task: not when they have as
    /// many running as they may.
    pub fn room_for(&self, caller: &CallerId) -> Result<(), ErrorData> {
        let mut owners = self.owners.lock().expect("task owners lock");
        // Forget tasks the manager has evicted.
        owners.retain(|id, _| self.manager.get_task(id).is_ok());
        let running = owners
            .iter()
            .filter(|(_, owner)| *owner == caller)
            .filter(|(id, _)| {
                self.manager
                    .get_task(id)
                    .is_ok_and(|t| !t.status().is_terminal())
            })
            .count();
        if running >= self.max_per_caller {
            return Err(ErrorData::invalid_request(
                format!(
                    "you have {running} tasks running, the most this server allows \
                     (mcp.maxTasksPerCaller); wait for one to finish or cancel one"
                ),
                None,
            ));
        }
        Ok(())
    }

    /// Starts `work` as a task of `caller` (see [`Tasks::room_for`]).
    pub fn start(&self, caller: &CallerId, work: impl FnOnce(TaskContext) -> TaskFuture) -> Task {
        let mut owners = self.owners.lock().expect("task owners lock");
        let ttl = self.timeout + RETENTION;
        let options = TaskOptions::new()
            .with_ttl_ms(ttl.as_millis() as u64)
            .with_poll_interval_ms(POLL_INTERVAL.as_millis() as u64);
        let task = self.manager.spawn(options, work);
        owners.insert(task.task_id.clone(), caller.clone());
        task
    }

    /// Whether `id` is a task of `caller`; anything else is unknown.
    fn owned(&self, caller: &CallerId, id: &str) -> Result<(), ErrorData> {
        let owners = self.owners.lock().expect("task owners lock");
        match owners.get(id) {
            Some(owner) if owner == caller => Ok(()),
            _ => Err(ErrorData::invalid_params(
                format!("unknown task '{id}'"),
                None,
            )),
        }
    }

    pub fn get(&self, caller: &CallerId, id: &str) -> Result<DetailedTask, ErrorData> {
        self.owned(caller, id)?;
        self.manager.get_task(id)
    }

    pub fn update(
        &self,
        caller: &CallerId,
        id: &str,
        responses: impl IntoIterator<Item = (String, serde_json::Value)>,
    ) -> Result<(), ErrorData> {
        self.owned(caller, id)?;
        self.manager.update_task(id, responses)
    }

    pub fn cancel(&self, caller: &CallerId, id: &str) -> Result<(), ErrorData> {
        self.owned(caller, id)?;
        self.manager.cancel_task(id)
    }

    /// Stops every task (server shutdown).
    pub fn shutdown(&self) {
        self.manager.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> CallerId {
        CallerId {
            issuer: "https://idp".into(),
            subject: "alice".into(),
        }
    }

    fn bob() -> CallerId {
        CallerId {
            issuer: "https://idp".into(),
            subject: "bob".into(),
        }
    }
    use rmcp::model::{CallToolResult, TaskStatus};

    fn forever() -> impl FnOnce(TaskContext) -> TaskFuture {
        |_| Box::pin(std::future::pending())
    }

    #[tokio::test]
    async fn tasks_belong_to_their_caller_and_are_bounded_per_caller() {
        let tasks = Tasks::new(Duration::from_secs(60), 2);
        tasks.room_for(&alice()).unwrap();
        let first = tasks.start(&alice(), forever());
        tasks.start(&alice(), forever());
        let refused = tasks.room_for(&alice()).unwrap_err();
        assert!(
            refused.message.contains("you have 2 tasks running"),
            "{}",
            refused.message
        );
        // Another caller has their own allowance, and cannot see Alice's.
        tasks.room_for(&bob()).unwrap();
        tasks.start(&bob(), forever());
        for error in [
            tasks.get(&bob(), &first.task_id).unwrap_err(),
            tasks.cancel(&bob(), &first.task_id).unwrap_err(),
            tasks.update(&bob(), &first.task_id, []).unwrap_err(),
        ] {
            assert_eq!(error.message, format!("unknown task '{}'", first.task_id));
        }
        assert_eq!(
            tasks.get(&alice(), &first.task_id).unwrap().status(),
            TaskStatus::Working
        );
        tasks.shutdown();
    }

    #[tokio::test]
    async fn a_finished_task_frees_its_slot() {
        let tasks = Tasks::new(Duration::from_secs(60), 1);
        let done = tasks.start(&alice(), |_| {
            Box::pin(async { Ok(CallToolResult::success(Vec::new())) })
        });
        for _ in 0..100 {
            if tasks
                .get(&alice(), &done.task_id)
                .unwrap()
                .status()
                .is_terminal()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(
            tasks.get(&alice(), &done.task_id).unwrap().status(),
            TaskStatus::Completed
        );
        tasks.room_for(&alice()).unwrap();
        tasks.shutdown();
    }
}
