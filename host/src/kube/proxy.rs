//! `proxy-get`: an HTTP GET to a pod's, service's or node's own endpoint
//! through the API server's `proxy` subresource. The request's path is
//! the plugin's, so it is checked here to stay inside the target: no
//! segment climbs (`..`, also percent-encoded), no query or fragment hides
//! in it, and the port is a port.

use std::time::Duration;

use super::segments::check_object;
use crate::wit::kubernetes::{Error, ObjectRef};

/// The longest path and query the host sends.
pub const MAX_PATH_BYTES: usize = 2048;

/// A proxied GET, validated by [`ProxyRequest::check`].
#[derive(Debug, Clone, PartialEq)]
pub struct ProxyRequest {
    /// A core `v1` pod, service or node.
    pub object: ObjectRef,
    /// `8080`, `http`, `https:443`.
    pub port: Option<String>,
    /// Starts with `/`.
    pub path: String,
    /// Without `?`.
    pub query: Option<String>,
    /// The most bytes of the body read.
    pub limit: usize,
    pub timeout: Duration,
}

impl ProxyRequest {
    pub fn check(&self) -> Result<(), Error> {
        check_object(&self.object)?;
        let bad = |m: String| Err(Error::BadRequest(m));
        let t = &self.object.type_;
        if !t.group.is_empty()
            || t.version != "v1"
            || !matches!(t.resource.as_str(), "pods" | "services" | "nodes")
        {
            return bad(format!(
                "only core v1 pods, services and nodes can be proxied, not {}",
                t.resource
            ));
        }
        let namespaced = t.resource != "nodes";
        if namespaced != self.object.namespace.is_some() {
            return bad(if namespaced {
                format!("{} are namespaced: give the namespace", t.resource)
            } else {
                "nodes are cluster-scoped: give no namespace".into()
            });
        }
        if let Some(port) = &self.port {
            check_port(port)?;
        }
        check_path(&self.path)?;
        if let Some(query) = &self.query {
            check_query(query)?;
        }
        Ok(())
    }

    /// `/api/v1/namespaces/demo/pods/web:8080/proxy/healthz?verbose=1`.
    pub fn uri(&self) -> String {
        let o = &self.object;
        let mut uri = String::from("/api/v1/");
        if let Some(ns) = &o.namespace {
            uri.push_str(&format!("namespaces/{ns}/"));
        }
        uri.push_str(&format!("{}/{}", o.type_.resource, o.name));
        if let Some(port) = &self.port {
            uri.push(':');
            uri.push_str(port);
        }
        uri.push_str("/proxy");
        uri.push_str(&self.path);
        if let Some(query) = self.query.as_deref().filter(|q| !q.is_empty()) {
            uri.push('?');
            uri.push_str(query);
        }
        uri
    }
}

/// A port number, an IANA port name, either optionally after `http:` or
/// `https:` (how the proxy subresource names the scheme).
fn check_port(port: &str) -> Result<(), Error> {
    let bare = port
        .strip_prefix("https:")
        .or_else(|| port.strip_prefix("http:"))
        .unwrap_or(port);
    let number = bare.parse::<u16>().is_ok_and(|n| n > 0) && !bare.starts_with('0');
    let name = !bare.is_empty()
        && bare.len() <= 15
        && bare
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && bare.bytes().any(|b| b.is_ascii_lowercase())
        && !bare.starts_with('-')
        && !bare.ends_with('-');
    if number || name {
        Ok(())
    } else {
        Err(Error::BadRequest(format!(
            "port '{}' is not a port number (1-65535) or name (like http), optionally after \
             http: or https:",
            port.escape_debug()
        )))
    }
}

/// Characters a path segment may hold as they are (RFC 3986 `pchar`
/// without `%`, which is checked on its own).
fn plain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&b)
}

fn check_path(path: &str) -> Result<(), Error> {
    let bad = |why: &str| {
        Err(Error::BadRequest(format!(
            "path '{}' {why}",
            path.chars().take(200).collect::<String>().escape_debug()
        )))
    };
    if !path.starts_with('/') {
        return bad("must start with /");
    }
    if path.len() > MAX_PATH_BYTES {
        return bad(&format!("is longer than {MAX_PATH_BYTES} bytes"));
    }
    for segment in path[1..].split('/') {
        let bytes = segment.as_bytes();
        let mut i = 0;
        let mut decoded = String::new();
        while i < bytes.len() {
            match bytes[i] {
                b'%' => {
                    let hex = segment
                        .get(i + 1..i + 3)
                        .filter(|h| h.len() == 2 && h.bytes().all(|b| b.is_ascii_hexdigit()));
                    let Some(hex) = hex else {
                        return bad("has a % that is not followed by two hex digits");
                    };
                    let byte = u8::from_str_radix(hex, 16).expect("two hex digits");
                    if matches!(byte, b'/' | b'\\' | b'.' | 0) || byte.is_ascii_control() {
                        return bad(&format!(
                            "encodes '{}' (%{hex}), which could leave the target's path",
                            (byte as char).escape_debug()
                        ));
                    }
                    decoded.push('%');
                    i += 3;
                }
                b if plain(b) => {
                    decoded.push(b as char);
                    i += 1;
                }
                b'?' | b'#' => {
                    return bad("may not carry a query or fragment (give the query on its own)");
                }
                _ => {
                    return bad("may hold only letters, digits, -._~!$&'()*+,;=:@ and %-escapes");
                }
            }
        }
        if decoded == "." || decoded == ".." {
            return bad("may not have . or .. segments");
        }
    }
    Ok(())
}

fn check_query(query: &str) -> Result<(), Error> {
    let ok = query.len() <= MAX_PATH_BYTES
        && query
            .bytes()
            .all(|b| plain(b) || b == b'/' || b == b'?' || b == b'%');
    if ok {
        Ok(())
    } else {
        Err(Error::BadRequest(format!(
            "query '{}' may hold only URL query characters (no spaces or #), at most {} bytes",
            query.chars().take(200).collect::<String>().escape_debug(),
            MAX_PATH_BYTES
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wit::kubernetes::ResourceType;

    fn request(
        resource: &str,
        namespace: Option<&str>,
        port: Option<&str>,
        path: &str,
    ) -> ProxyRequest {
        ProxyRequest {
            object: ObjectRef {
                type_: ResourceType {
                    group: String::new(),
                    version: "v1".into(),
                    resource: resource.into(),
                },
                namespace: namespace.map(Into::into),
                name: "web".into(),
            },
            port: port.map(Into::into),
            path: path.into(),
            query: None,
            limit: 100,
            timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn the_proxy_path_is_the_targets_path_under_its_proxy_subresource() {
        let mut r = request("pods", Some("demo"), Some("8080"), "/healthz");
        r.query = Some("verbose=1".into());
        r.check().unwrap();
        assert_eq!(
            r.uri(),
            "/api/v1/namespaces/demo/pods/web:8080/proxy/healthz?verbose=1"
        );
        let r = request("services", Some("shop"), Some("https:metrics"), "/");
        r.check().unwrap();
        assert_eq!(
            r.uri(),
            "/api/v1/namespaces/shop/services/web:https:metrics/proxy/"
        );
        let r = request("nodes", None, None, "/stats/summary");
        r.check().unwrap();
        assert_eq!(r.uri(), "/api/v1/nodes/web/proxy/stats/summary");
    }

    #[test]
    fn paths_that_could_leave_the_target_are_refused() {
        for (path, says) in [
            ("healthz", "start with /"),
            ("/a/../b", ". or .."),
            ("/..", ". or .."),
            ("/%2e%2e/x", "(%2e)"),
            ("/a%2Fb", "(%2F)"),
            ("/a%5cb", "(%5c)"),
            ("/a?b=1", "query"),
            ("/a#top", "fragment"),
            ("/a b", "only letters"),
            ("/a%zz", "two hex digits"),
            ("/a%0a", "(%0a)"),
        ] {
            match request("pods", Some("demo"), None, path).check() {
                Err(Error::BadRequest(m)) => assert!(m.contains(says), "{path}: {m}"),
                other => panic!("{path}: {other:?}"),
            }
        }
        assert!(
            request("pods", Some("demo"), None, "/a/./b")
                .check()
                .is_err()
        );
        assert!(
            request("pods", Some("demo"), None, "/metrics/cadvisor%20x")
                .check()
                .is_ok()
        );
    }

    #[test]
    fn only_pods_services_and_nodes_with_their_scope_and_a_real_port() {
        assert!(request("secrets", Some("demo"), None, "/").check().is_err());
        assert!(request("pods", None, None, "/").check().is_err());
        assert!(request("nodes", Some("demo"), None, "/").check().is_err());
        for port in [
            "0",
            "65536",
            "08",
            "-http",
            "a/b",
            "http:",
            "x".repeat(16).as_str(),
        ] {
            assert!(
                request("pods", Some("demo"), Some(port), "/")
                    .check()
                    .is_err(),
                "{port}"
            );
        }
        for port in ["1", "65535", "http", "https:443", "web-ui"] {
            assert!(
                request("pods", Some("demo"), Some(port), "/")
                    .check()
                    .is_ok(),
                "{port}"
            );
        }
        let mut r = request("pods", Some("demo"), None, "/");
        r.query = Some("a=b c".into());
        assert!(r.check().is_err());
    }
}
