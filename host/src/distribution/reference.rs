//! `oci://` references, as operators write them in `plugins.sources` and on
//! the command line.

use std::fmt;
use std::net::IpAddr;

use oci_client::Reference;

/// A plugin's place in a registry: `oci://REGISTRY/REPOSITORY:TAG` or
/// `oci://REGISTRY/REPOSITORY@sha256:DIGEST` (or both: the digest wins).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginRef {
    reference: Reference,
}

impl PluginRef {
    /// Parses `oci://…`. The registry must be named: a plugin reference
    /// never falls back to Docker Hub.
    pub fn parse(text: &str) -> Result<PluginRef, String> {
        let rest = text.trim().strip_prefix("oci://").ok_or_else(|| {
            format!("'{text}' is not an OCI reference: write oci://REGISTRY/REPOSITORY:TAG or @sha256:DIGEST")
        })?;
        let first = rest.split('/').next().unwrap_or_default();
        let names_registry = rest.contains('/')
            && (first.contains('.') || first.contains(':') || first == "localhost");
        if !names_registry {
            return Err(format!(
                "'{text}' does not name a registry: write oci://REGISTRY/REPOSITORY:TAG (for example oci://ghcr.io/acme/kube-core:1.0)"
            ));
        }
        if let Some((_, digest)) = rest.split_once('@') {
            let hex = digest.strip_prefix("sha256:").unwrap_or_default();
            if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!(
                    "'{text}': the digest must be sha256:<64 hex digits>"
                ));
            }
        }
        let reference: Reference = rest
            .parse()
            .map_err(|e| format!("'{text}' is not a valid OCI reference: {e}"))?;
        // `repo` alone means `repo:latest` to the parser; a plugin source
        // says what it wants.
        let explicit_tag = rest
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains(':') || last.contains('@'));
        if !explicit_tag {
            return Err(format!(
                "'{text}' names neither a tag nor a digest: add :TAG or @sha256:DIGEST"
            ));
        }
        Ok(PluginRef { reference })
    }

    /// A reference to `digest` in the same repository.
    pub fn at_digest(&self, digest: &str) -> PluginRef {
        PluginRef {
            reference: Reference::with_digest(
                self.reference.registry().to_owned(),
                self.reference.repository().to_owned(),
                digest.to_owned(),
            ),
        }
    }

    /// A reference to `tag` in the same repository.
    pub fn at_tag(&self, tag: &str) -> PluginRef {
        PluginRef {
            reference: Reference::with_tag(
                self.reference.registry().to_owned(),
                self.reference.repository().to_owned(),
                tag.to_owned(),
            ),
        }
    }

    /// The digest the reference pins, if any.
    pub fn digest(&self) -> Option<&str> {
        self.reference.digest()
    }

    pub fn tag(&self) -> Option<&str> {
        self.reference.tag()
    }

    /// `registry/repository`, which trust policies name.
    pub fn repository(&self) -> String {
        format!(
            "{}/{}",
            self.reference.registry(),
            self.reference.repository()
        )
    }

    pub fn registry(&self) -> &str {
        self.reference.registry()
    }

    /// Whether the registry is on this machine: only then is plain HTTP
    /// used.
    pub fn is_loopback(&self) -> bool {
        is_loopback_host(self.registry())
    }

    pub fn oci(&self) -> &Reference {
        &self.reference
    }
}

impl fmt::Display for PluginRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "oci://{}", self.repository())?;
        if let Some(tag) = self.reference.tag() {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = self.reference.digest() {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

/// `localhost`, `127.0.0.1:5000`, `[::1]:5000`.
pub fn is_loopback_host(registry: &str) -> bool {
    let host = if let Some(rest) = registry.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default()
    } else {
        registry.rsplit_once(':').map_or(registry, |(h, _)| h)
    };
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn tags_and_digests_parse() {
        let r = PluginRef::parse("oci://ghcr.io/acme/kube-core:1.2").unwrap();
        assert_eq!(r.repository(), "ghcr.io/acme/kube-core");
        assert_eq!(r.tag(), Some("1.2"));
        assert_eq!(r.digest(), None);
        assert_eq!(r.to_string(), "oci://ghcr.io/acme/kube-core:1.2");
        assert!(!r.is_loopback());

        let r = PluginRef::parse(&format!("oci://127.0.0.1:5000/kube-core@{DIGEST}")).unwrap();
        assert_eq!(r.digest(), Some(DIGEST));
        assert!(r.is_loopback());
        assert_eq!(
            r.at_tag("v2").to_string(),
            "oci://127.0.0.1:5000/kube-core:v2"
        );
    }

    #[test]
    fn bad_references_say_what_to_write() {
        let err = PluginRef::parse("ghcr.io/acme/kube-core:1").unwrap_err();
        assert!(err.contains("oci://REGISTRY"), "{err}");
        let err = PluginRef::parse("oci://acme/kube-core:1").unwrap_err();
        assert!(err.contains("does not name a registry"), "{err}");
        let err = PluginRef::parse("oci://ghcr.io/acme/kube-core").unwrap_err();
        assert!(err.contains("neither a tag nor a digest"), "{err}");
        let err = PluginRef::parse("oci://ghcr.io/acme/kube-core@sha256:abc").unwrap_err();
        assert!(err.contains("sha256:<64 hex digits>"), "{err}");
    }

    #[test]
    fn loopback_hosts() {
        for host in [
            "localhost:5000",
            "127.0.0.1",
            "127.0.0.1:5000",
            "[::1]:5000",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in ["ghcr.io", "10.0.0.1:5000", "registry.local:5000"] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }
}
