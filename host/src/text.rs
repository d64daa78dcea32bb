//! How values are written for people: messages on one line, digests in hex.

/// `message` with every run of whitespace (newlines included) made one
/// space: what a log line, a JSON-RPC error or a terminal shows whole.
pub fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// An error and its causes, outermost first, on one line; a cause an outer
/// message already says (hyper's and kube-rs's wrappers repeat theirs) is
/// said once.
pub fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let said = cause.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
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

    #[derive(Debug)]
    struct Outer(std::io::Error);
    impl std::fmt::Display for Outer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("cannot save")
        }
    }
    impl std::error::Error for Outer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn causes_follow_the_error_on_one_line() {
        let error = Outer(std::io::Error::other("disk\nfull"));
        assert_eq!(with_causes(&error), "cannot save: disk full");
        let repeated = Outer(std::io::Error::other("cannot save"));
        assert_eq!(
            with_causes(&repeated),
            "cannot save",
            "a cause said already is not repeated"
        );
        assert_eq!(hex(&[0, 15, 255]), "000fff");
    }
}
