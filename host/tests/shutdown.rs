//! SIGTERM stops accepting connections, lets in-flight requests finish and
//! exits 0; requests that outlive the shutdown timeout make it exit 1.

mod support;

use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

use support::{EXIT_LIMIT, Response, Scratch, Server};

fn start(timeout: &str) -> (Server, Scratch) {
    let scratch = Scratch::new();
    let args = [
        "--port",
        "0",
        "--log-format",
        "json",
        "--shutdown-timeout",
        timeout,
    ];
    (Server::start(scratch.serve(&args)), scratch)
}

/// Opens a request and sends only its first half: until the rest arrives,
/// the request is in flight on the server.
fn begin_slow_request(server: &Server) -> TcpStream {
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: kube-mcp\r\n")
        .unwrap();
    // Let the server read the partial head before the signal arrives.
    std::thread::sleep(Duration::from_millis(300));
    stream
}

#[test]
fn sigterm_lets_a_slow_request_finish_then_exits_zero() {
    let (mut server, _plugins) = start("30s");
    let mut slow = begin_slow_request(&server);

    server.signal("TERM");
    server.wait_for_log("shutting down", EXIT_LIMIT);

    // The listener closes (asynchronously, just after the signal): new
    // connections become refused...
    let deadline = std::time::Instant::now() + EXIT_LIMIT;
    while TcpStream::connect(server.addr).is_ok() {
        assert!(
            std::time::Instant::now() < deadline,
            "new connections were still accepted long after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // ...while the request already in flight completes normally.
    slow.write_all(b"\r\n").unwrap();
    let response = read_response(&mut slow);
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.json(), serde_json::json!({ "status": "ok" }));

    let status = server.wait_exit();
    assert_eq!(status.code(), Some(0), "log:\n{}", server.log.join("\n"));
    assert!(
        server
            .log
            .iter()
            .any(|l| l.contains("shut down gracefully"))
    );
}

#[test]
fn sigint_with_nothing_in_flight_exits_zero() {
    let (mut server, _plugins) = start("30s");
    server.signal("INT");
    let status = server.wait_exit();
    assert_eq!(status.code(), Some(0), "log:\n{}", server.log.join("\n"));
}

#[test]
fn a_request_outliving_the_timeout_is_dropped_and_exit_is_one() {
    let (mut server, _plugins) = start("1s");
    let _never_finished = begin_slow_request(&server);
    server.signal("TERM");
    let status = server.wait_exit();
    assert_eq!(status.code(), Some(1), "log:\n{}", server.log.join("\n"));
    assert!(
        server
            .log
            .iter()
            .any(|l| l.contains("did not finish in time")),
        "log:\n{}",
        server.log.join("\n")
    );
}

#[test]
fn a_second_signal_exits_at_once() {
    let (mut server, _plugins) = start("10m");
    let _never_finished = begin_slow_request(&server);
    server.signal("TERM");
    server.wait_for_log("shutting down", EXIT_LIMIT);
    server.signal("INT");
    let status = server.wait_exit();
    assert_eq!(status.code(), Some(1), "log:\n{}", server.log.join("\n"));
    assert!(server.log.iter().any(|l| l.contains("second signal")));
}

/// Reads one `Connection: close` response to the end of `stream`: the
/// in-flight request is written by hand, in two halves, so its answer is
/// read the same way.
fn read_response(stream: &mut TcpStream) -> Response {
    use std::io::Read;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).expect("read response");
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("malformed response: {raw:?}"));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {raw:?}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Response {
        status,
        headers,
        body: body.to_owned(),
    }
}
