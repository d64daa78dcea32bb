//! How long a tool that waits (for a rollout, a drain) may wait: as a task
//! when the client supports tasks, else within the request.

use std::time::Duration;

/// A wait's limit, and whether it goes on as a task.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Wait {
    /// The call became a task (`progress.detach`): the client polls it.
    pub as_task: bool,
    pub timeout: Duration,
}

/// Within a request: the default stays below the default plugin call limit
/// (`plugins.limits.timeout`, 10 s), the most below the server's request
/// timeout; a longer wait needs the operator to raise the plugin's limit.
const IN_REQUEST: (u64, u64) = (8, 55);
/// As a task: (default, most), in seconds.
const AS_TASK: (u64, u64) = (600, 3600);

/// Detaches the call as a task when the client supports tasks, and the
/// limit of its wait: `requested` seconds (or the default), at most the
/// most for where it runs.
pub fn begin_wait(requested: Option<u64>) -> Wait {
    wait_for(crate::progress::detach(), requested)
}

fn wait_for(as_task: bool, requested: Option<u64>) -> Wait {
    let (default, most) = if as_task { AS_TASK } else { IN_REQUEST };
    Wait {
        as_task,
        timeout: Duration::from_secs(requested.unwrap_or(default).min(most)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_within_a_request_is_short_unless_asked_and_capped() {
        assert_eq!(wait_for(false, None).timeout, Duration::from_secs(8));
        assert_eq!(wait_for(false, Some(300)).timeout, Duration::from_secs(55));
        assert_eq!(wait_for(true, None).timeout, Duration::from_secs(600));
        assert_eq!(
            wait_for(true, Some(9000)).timeout,
            Duration::from_secs(3600)
        );
    }
}
