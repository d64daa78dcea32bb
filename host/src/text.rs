//! How values are written for people: messages on one line, digests in hex.

/// `message` with every run of whitespace (newlines included) made one
/// space: what a log line, a JSON-RPC error or a terminal shows whole.
pub fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// An error and its causes, outermost first, on one line.
pub fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    one_line(&text)
}

/// `bytes` as lowercase hex, as `sha256sum` and OCI digests write them.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_joins_lines_and_runs_of_spaces() {
        assert_eq!(one_line("a  b\n\n  c\t d "), "a b c d");
    }

    #[test]
    fn causes_follow_the_error() {
        let inner = std::io::Error::other("disk\nfull");
        let outer = std::io::Error::new(std::io::ErrorKind::Other, inner);
        assert_eq!(with_causes(&outer), "disk full: disk full");
        assert_eq!(hex(&[0, 15, 255]), "000fff");
    }
}
