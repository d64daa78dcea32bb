//! Parsers for individual setting values.
//!
//! Each parser takes the text a user wrote (in a flag, an environment variable
//! or a file) and returns either the typed value or a message saying what is
//! wrong with it. The caller attaches the [`Origin`](super::Origin).

use std::net::IpAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use serde::Deserialize;
use url::Url;

pub use crate::auth::issuer::SigningAlgorithm;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Human-readable lines; coloured when stderr is a terminal.
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

impl FromStr for LogFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => Err(format!(
                "unknown log format '{s}' (expected 'text' or 'json')"
            )),
        }
    }
}

/// Which log events are kept: a plain level, or a full filter directive.
///
/// A plain level (`debug`, `info`, `warn`, `error`, `trace`) applies to
/// kube-mcp's own events; dependencies stay at `warn` or quieter, so that
/// `debug` shows what the server does rather than every frame hyper reads.
/// Anything else is taken as a `tracing` filter directive
/// (`info,kube_mcp::plugins=debug`) for fine-grained control.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFilter {
    directive: String,
}

impl LogFilter {
    /// The `tracing_subscriber::EnvFilter` directive this filter stands for.
    pub fn directive(&self) -> &str {
        &self.directive
    }
}

impl Default for LogFilter {
    fn default() -> Self {
        "info".parse().expect("'info' is a valid level")
    }
}

impl FromStr for LogFilter {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let level = match s.to_ascii_lowercase().as_str() {
            "trace" => Some("trace"),
            "debug" => Some("debug"),
            "info" => Some("info"),
            "warn" | "warning" => Some("warn"),
            "error" => Some("error"),
            _ => None,
        };
        let directive = match level {
            Some(level) => {
                let others = if level == "error" { "error" } else { "warn" };
                format!("{others},kube_mcp={level},tower_http={level}")
            }
            // A bare word that is no level is a typo, not a target name.
            None if s.contains('=') => s.to_owned(),
            None => return Err(invalid_level(s, "not a level")),
        };
        tracing_subscriber::EnvFilter::builder()
            .parse(&directive)
            .map_err(|e| invalid_level(s, &e.to_string()))?;
        Ok(LogFilter { directive })
    }
}

fn invalid_level(s: &str, why: &str) -> String {
    format!(
        "invalid log level '{s}': {why} (expected trace, debug, info, warn, error \
         or a filter directive like 'info,kube_mcp=debug')"
    )
}

/// A comma-separated list, as the seed's flags and environment variables
/// take them. Empty items are dropped, surrounding spaces trimmed.
pub fn comma_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A list in a configuration file: either a YAML sequence or one
/// comma-separated string (as the seed's chart values are written).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged, expecting = "a list of strings or a comma-separated string")]
pub enum ListValue {
    Items(Vec<String>),
    Comma(String),
}

impl ListValue {
    pub fn into_vec(self) -> Vec<String> {
        match self {
            ListValue::Items(items) => items
                .into_iter()
                .map(|item| item.trim().to_owned())
                .filter(|item| !item.is_empty())
                .collect(),
            ListValue::Comma(s) => comma_list(&s),
        }
    }

    /// Like [`Self::into_vec`], but a sequence keeps empty items: in
    /// `apiGroups`, `""` is the core group.
    pub fn into_vec_keeping_empty(self) -> Vec<String> {
        match self {
            ListValue::Items(items) => items.into_iter().map(|i| i.trim().to_owned()).collect(),
            ListValue::Comma(s) => comma_list(&s),
        }
    }
}

pub fn parse_bool(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(format!("'{s}' is not a boolean (expected true or false)")),
    }
}

/// A count of at least 1.
pub fn parse_count(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!(
            "'{s}' is not a count (expected a whole number, 1 or more)"
        )),
    }
}

pub fn parse_port(s: &str) -> Result<u16, String> {
    s.trim()
        .parse::<u16>()
        .map_err(|_| format!("'{s}' is not a port number (expected 0-65535)"))
}

/// A listen address: an IP literal, or `localhost` for the IPv4 loopback.
pub fn parse_host(s: &str) -> Result<IpAddr, String> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("localhost") {
        return Ok(IpAddr::from([127, 0, 0, 1]));
    }
    // Accept the bracketed form people copy from URLs: [::1].
    let bare = s
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .unwrap_or(s);
    bare.parse().map_err(|_| {
        format!("'{s}' is not an IP address to listen on (e.g. 127.0.0.1, 0.0.0.0, ::)")
    })
}

/// A duration such as `30s`, `1m30s` or `500ms`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s.trim())
        .map_err(|e| format!("'{s}' is not a duration like '30s' or '2m' ({e})"))
}

/// An absolute `http` or `https` URL without query or fragment.
pub fn parse_http_url(s: &str) -> Result<Url, String> {
    let url = Url::parse(s.trim()).map_err(|e| format!("'{s}' is not an absolute URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("'{s}' must be an http or https URL"));
    }
    if url.host().is_none() {
        return Err(format!("'{s}' has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("'{s}' must not have a query or fragment"));
    }
    Ok(url)
}

/// A size in bytes: `65536`, `512KiB`, `64MiB`, `1GiB` (also `Ki`, `Mi`,
/// `Gi` as Kubernetes writes them, and `KB`/`MB`/`GB` as powers of 1000).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(digits);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("'{s}' is not a size like 64MiB or 1048576"))?;
    let multiplier: u64 = match unit.trim() {
        "" | "B" => 1,
        "KiB" | "Ki" => 1 << 10,
        "MiB" | "Mi" => 1 << 20,
        "GiB" | "Gi" => 1 << 30,
        "KB" | "K" => 1_000,
        "MB" | "M" => 1_000_000,
        "GB" | "G" => 1_000_000_000,
        other => {
            return Err(format!(
                "'{s}' has an unknown unit '{other}' (use KiB, MiB or GiB)"
            ));
        }
    };
    number
        .checked_mul(multiplier)
        .ok_or_else(|| format!("'{s}' is too large"))
}

/// The answer budget: a size within [`crate::answer::BUDGET_RANGE`].
pub fn parse_answer_budget(s: &str) -> Result<u32, String> {
    let range = crate::answer::BUDGET_RANGE;
    let bytes = parse_size(s)?;
    u32::try_from(bytes)
        .ok()
        .filter(|b| range.contains(b))
        .ok_or_else(|| {
            format!(
                "'{s}' is not between {}KiB and {}KiB",
                range.start() / 1024,
                range.end() / 1024
            )
        })
}

pub fn parse_signing_methods(items: &[String]) -> Result<Vec<SigningAlgorithm>, String> {
    if items.is_empty() {
        return Err("at least one signing method is required".into());
    }
    let mut methods = Vec::with_capacity(items.len());
    for item in items {
        let alg: SigningAlgorithm = item.parse()?;
        if !methods.contains(&alg) {
            methods.push(alg);
        }
    }
    Ok(methods)
}

pub fn non_empty(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.is_empty() {
        Err("must not be empty".into())
    } else {
        Ok(s.to_owned())
    }
}

pub fn existing_dir(path: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(path);
    match std::fs::metadata(&path) {
        Ok(meta) if meta.is_dir() => Ok(path),
        Ok(_) => Err(format!("{} is not a directory", path.display())),
        Err(e) => Err(format!("cannot use {} as a directory: {e}", path.display())),
    }
}

pub fn existing_file(path: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(path);
    match std::fs::metadata(&path) {
        Ok(meta) if meta.is_file() => Ok(path),
        Ok(_) => Err(format!("{} is not a file", path.display())),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_methods_accept_the_five_algorithms_and_refuse_none() {
        let all = comma_list("RS256, hs256,ES256,PS256,EdDSA");
        assert_eq!(parse_signing_methods(&all).unwrap(), SigningAlgorithm::ALL);
        let err = parse_signing_methods(&["none".into()]).unwrap_err();
        assert!(err.contains("never accepted"), "{err}");
        let err = parse_signing_methods(&["RS512".into()]).unwrap_err();
        assert!(err.contains("unknown signing method 'RS512'"), "{err}");
        assert!(parse_signing_methods(&[]).is_err());
    }

    #[test]
    fn plain_levels_keep_dependencies_quiet() {
        let f: LogFilter = "debug".parse().unwrap();
        assert_eq!(f.directive(), "warn,kube_mcp=debug,tower_http=debug");
        let f: LogFilter = "ERROR".parse().unwrap();
        assert_eq!(f.directive(), "error,kube_mcp=error,tower_http=error");
        let f: LogFilter = "warning".parse().unwrap();
        assert_eq!(f.directive(), "warn,kube_mcp=warn,tower_http=warn");
    }

    #[test]
    fn directives_pass_through_and_garbage_is_refused() {
        let f: LogFilter = "info,kube_mcp::plugins=trace".parse().unwrap();
        assert_eq!(f.directive(), "info,kube_mcp::plugins=trace");
        let err = "loud".parse::<LogFilter>().unwrap_err();
        assert!(err.contains("invalid log level 'loud'"), "{err}");
        let err = "info,kube_mcp=lots".parse::<LogFilter>().unwrap_err();
        assert!(err.contains("invalid log level"), "{err}");
    }

    #[test]
    fn lists_from_commas_and_sequences() {
        assert_eq!(comma_list(" a, ,b ,"), vec!["a", "b"]);
        assert_eq!(ListValue::Comma("x,y".into()).into_vec(), vec!["x", "y"]);
        assert_eq!(
            ListValue::Items(vec![" x ".into(), "".into()]).into_vec(),
            vec!["x"]
        );
    }

    #[test]
    fn scalar_parsers_explain_rejections() {
        assert_eq!(parse_port("9000"), Ok(9000));
        assert!(parse_port("70000").unwrap_err().contains("0-65535"));
        assert_eq!(parse_host("localhost").unwrap().to_string(), "127.0.0.1");
        assert_eq!(parse_host("[::1]").unwrap().to_string(), "::1");
        assert!(parse_host("example.com").is_err());
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert!(parse_duration("soon").is_err());
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("512Ki"), Ok(512 << 10));
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("2MB"), Ok(2_000_000));
        assert!(
            parse_size("64 parsecs")
                .unwrap_err()
                .contains("unknown unit")
        );
        assert!(parse_size("lots").is_err());
        assert_eq!(parse_bool("Yes"), Ok(true));
        assert!(parse_bool("treu").is_err());
        assert!(parse_http_url("ftp://x").is_err());
        assert!(parse_http_url("https://x/?a=b").is_err());
        assert!(parse_http_url("not a url").is_err());
        assert_eq!(
            parse_http_url("https://mcp.example.com/").unwrap().as_str(),
            "https://mcp.example.com/"
        );
    }
}
