//! `exec`: a command run in a container through the API server's
//! `pods/exec` subresource, over the WebSocket streaming protocol
//! (`v5.channel.k8s.io`, else `v4.channel.k8s.io`, as kubectl negotiates).
//!
//! The protocol is binary frames whose first byte names the channel: 0
//! stdin, 1 stdout, 2 stderr, 3 the command's final `Status` (JSON), 255 a
//! close signal (v5 only: it is how stdin is closed). This module holds the
//! request, its checks and what is made of the frames; [`client`] opens the
//! socket.
//!
//! [`client`]: super::client

use std::time::Duration;

use super::segments::check_name;
use crate::wit::kubernetes::{Error, ExecOutput};

/// The longest command (all its arguments) the host sends: it travels in
/// the request's query, which API servers and proxies bound.
pub const MAX_COMMAND_BYTES: usize = 16 << 10;

/// A command to run, validated by [`ExecRequest::check`].
#[derive(Debug, Clone, PartialEq)]
pub struct ExecRequest {
    pub namespace: String,
    pub pod: String,
    pub container: Option<String>,
    /// The program and its arguments, as given (no shell is added).
    pub command: Vec<String>,
    /// Written to the command's stdin, which is then closed.
    pub stdin: Option<String>,
    /// How long to wait for the command to end.
    pub timeout: Duration,
    /// The most bytes of stdout and stderr, together.
    pub limit: usize,
}

impl ExecRequest {
    /// Names that cannot change the request's path, and a command that can
    /// be sent: a program, no NUL (no process can take one), not too long.
    pub fn check(&self) -> Result<(), Error> {
        check_name("namespace", &self.namespace)?;
        check_name("pod", &self.pod)?;
        if let Some(container) = &self.container {
            check_name("container", container)?;
        }
        let bad = |m: String| Err(Error::BadRequest(m));
        match self.command.first() {
            None => return bad("the command is empty: give the program and its arguments".into()),
            Some(program) if program.trim().is_empty() => {
                return bad("the command's first item (the program) is empty".into());
            }
            Some(_) => {}
        }
        if let Some(i) = self.command.iter().position(|arg| arg.contains('\0')) {
            return bad(format!("command item {i} contains a NUL character"));
        }
        let bytes: usize = self.command.iter().map(String::len).sum();
        if bytes > MAX_COMMAND_BYTES {
            return bad(format!(
                "the command is {bytes} bytes; at most {MAX_COMMAND_BYTES} are sent"
            ));
        }
        Ok(())
    }
}

/// The channels of the streaming protocol.
pub mod channel {
    pub const STDIN: u8 = 0;
    pub const STDOUT: u8 = 1;
    pub const STDERR: u8 = 2;
    pub const STATUS: u8 = 3;
    /// v5: closes the channel named by the next byte.
    pub const CLOSE: u8 = 255;
}

/// What the frames said so far.
#[derive(Debug, Default)]
pub struct Collected {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    status: Option<kube::core::Status>,
    truncated: bool,
}

/// Whether to keep reading.
#[derive(Debug, PartialEq, Eq)]
pub enum Flow {
    More,
    /// The status came, or the output reached its limit.
    Done,
}

impl Collected {
    /// Takes one binary frame. Output beyond `limit` (stdout and stderr
    /// together) is dropped and ends the reading.
    pub fn take(&mut self, frame: &[u8], limit: usize) -> Flow {
        let Some((&channel, data)) = frame.split_first() else {
            return Flow::More;
        };
        let room = limit.saturating_sub(self.stdout.len() + self.stderr.len());
        let out = match channel {
            channel::STDOUT => &mut self.stdout,
            channel::STDERR => &mut self.stderr,
            channel::STATUS => {
                self.status = serde_json::from_slice(data).ok().or_else(|| {
                    // Not a Status: the kubelet's words, as the message.
                    Some(kube::core::Status {
                        message: String::from_utf8_lossy(data).into_owned(),
                        ..kube::core::Status::failure("", "")
                    })
                });
                return Flow::Done;
            }
            _ => return Flow::More,
        };
        if data.len() > room {
            out.extend_from_slice(&data[..room]);
            self.truncated = true;
            return Flow::Done;
        }
        out.extend_from_slice(data);
        Flow::More
    }

    /// The outcome, once reading stopped (`timed_out`: because the timeout
    /// came first).
    pub fn finish(self, timed_out: bool) -> ExecOutput {
        let (exit_code, message) = match (&self.status, timed_out || self.truncated) {
            (_, true) => (None, None),
            (None, false) => (
                None,
                Some("the stream ended without the command's exit status".into()),
            ),
            (Some(status), false) => outcome(status),
        };
        ExecOutput {
            stdout: text(self.stdout),
            stderr: text(self.stderr),
            exit_code,
            message,
            truncated: self.truncated,
            timed_out,
        }
    }
}

/// The exit code and the runtime's words from the final `Status`.
///
/// A kubelet reports a non-zero exit as reason `NonZeroExitCode` with an
/// `ExitCode` cause. Runtimes whose errors the kubelet does not recognise
/// as exits (kwok's local exec among them) send an internal error whose
/// message ends in Go's `exit status N`; that number is the exit code.
fn outcome(status: &kube::core::Status) -> (Option<i32>, Option<String>) {
    if status.is_success() {
        return (Some(0), None);
    }
    let message = (!status.message.is_empty()).then(|| status.message.clone());
    let from_cause = status
        .details
        .as_ref()
        .and_then(|d| d.causes.iter().find(|c| c.reason == "ExitCode"))
        .and_then(|c| c.message.trim().parse().ok());
    let from_message = || {
        let (_, code) = status.message.trim_end().rsplit_once("exit status ")?;
        code.parse().ok()
    };
    (from_cause.or_else(from_message), message)
}

/// Output as text: invalid UTF-8 (a cut character, binary output) replaced.
fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// The frames that write `input` to stdin and, on v5, close it.
pub fn stdin_frames(input: &str, can_close: bool) -> Vec<Vec<u8>> {
    const CHUNK: usize = 32 << 10;
    let mut frames: Vec<Vec<u8>> = input
        .as_bytes()
        .chunks(CHUNK)
        .map(|chunk| {
            let mut frame = Vec::with_capacity(chunk.len() + 1);
            frame.push(channel::STDIN);
            frame.extend_from_slice(chunk);
            frame
        })
        .collect();
    if can_close {
        frames.push(vec![channel::CLOSE, channel::STDIN]);
    }
    frames
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(channel: u8, data: &str) -> Vec<u8> {
        let mut f = vec![channel];
        f.extend_from_slice(data.as_bytes());
        f
    }

    #[test]
    fn output_is_split_by_channel_and_success_is_exit_code_zero() {
        let mut c = Collected::default();
        assert_eq!(c.take(&frame(1, "out "), 100), Flow::More);
        assert_eq!(c.take(&frame(2, "err"), 100), Flow::More);
        assert_eq!(c.take(&frame(1, "more"), 100), Flow::More);
        assert_eq!(
            c.take(&frame(3, r#"{"metadata":{},"status":"Success"}"#), 100),
            Flow::Done
        );
        let out = c.finish(false);
        assert_eq!(
            (out.stdout.as_str(), out.stderr.as_str()),
            ("out more", "err")
        );
        assert_eq!((out.exit_code, out.message), (Some(0), None));
        assert!(!out.truncated && !out.timed_out);
    }

    #[test]
    fn a_non_zero_exit_is_read_from_the_cause_or_the_runtimes_message() {
        let kubelet = r#"{"status":"Failure","reason":"NonZeroExitCode","message":"command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}"#;
        let mut c = Collected::default();
        c.take(&frame(3, kubelet), 100);
        let out = c.finish(false);
        assert_eq!(out.exit_code, Some(3));
        assert!(out.message.unwrap().contains("non-zero exit code"));

        let internal = r#"{"status":"Failure","code":500,"reason":"InternalError","message":"Internal error occurred: error executing command in container: cmd wait: sh -c exit 7: exit status 7"}"#;
        let mut c = Collected::default();
        c.take(&frame(3, internal), 100);
        assert_eq!(c.finish(false).exit_code, Some(7));

        let not_found =
            r#"{"status":"Failure","code":500,"message":"executable file not found in $PATH"}"#;
        let mut c = Collected::default();
        c.take(&frame(3, not_found), 100);
        let out = c.finish(false);
        assert_eq!(out.exit_code, None);
        assert_eq!(
            out.message.as_deref(),
            Some("executable file not found in $PATH")
        );
    }

    #[test]
    fn output_stops_at_the_limit_of_both_channels_together() {
        let mut c = Collected::default();
        assert_eq!(c.take(&frame(1, "12345"), 8), Flow::More);
        assert_eq!(c.take(&frame(2, "6789"), 8), Flow::Done);
        let out = c.finish(false);
        assert_eq!((out.stdout.as_str(), out.stderr.as_str()), ("12345", "678"));
        assert!(out.truncated);
        assert_eq!((out.exit_code, out.message), (None, None));
    }

    #[test]
    fn a_timeout_has_no_exit_code_and_keeps_what_came() {
        let mut c = Collected::default();
        c.take(&frame(1, "partial"), 100);
        let out = c.finish(true);
        assert_eq!(out.stdout, "partial");
        assert!(out.timed_out);
        assert_eq!(out.exit_code, None);
    }

    #[test]
    fn stdin_is_sent_in_chunks_and_closed_on_v5_only() {
        let frames = stdin_frames("abc", true);
        assert_eq!(frames, vec![frame(0, "abc"), vec![255, 0]]);
        assert_eq!(stdin_frames("abc", false), vec![frame(0, "abc")]);
        let big = "x".repeat((32 << 10) + 1);
        assert_eq!(stdin_frames(&big, false).len(), 2);
    }

    #[test]
    fn commands_are_checked_before_anything_is_sent() {
        let request = |command: &[&str]| ExecRequest {
            namespace: "demo".into(),
            pod: "web".into(),
            container: None,
            command: command.iter().map(|s| s.to_string()).collect(),
            stdin: None,
            timeout: Duration::from_secs(1),
            limit: 10,
        };
        assert!(request(&["ls", "-l"]).check().is_ok());
        for (command, says) in [
            (&[][..], "empty"),
            (&[" "][..], "program"),
            (&["echo", "a\0b"][..], "NUL"),
        ] {
            match request(command).check() {
                Err(Error::BadRequest(m)) => assert!(m.contains(says), "{m}"),
                other => panic!("{command:?}: {other:?}"),
            }
        }
        let mut bad_pod = request(&["ls"]);
        bad_pod.pod = "../x".into();
        assert!(bad_pod.check().is_err());
    }
}
