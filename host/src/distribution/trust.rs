//! The trust policy: which keys may sign which plugins.
//!
//! A key signs for plugin names (the names grants bind to) and for
//! repositories; a signature counts only when its key's scope covers the
//! plugin being loaded. Every refusal says which case it is, so an operator
//! can tell an unsigned artifact from a key they forgot to trust.

use super::signature::{PublicKey, SimpleSigning};

/// One trusted key and what it may sign (`plugins.trust.keys[]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedKey {
    /// The operator's name for the key, in logs.
    pub name: String,
    pub key: PublicKey,
    /// Plugin names it may sign; `*` is any.
    pub plugins: Vec<String>,
    /// Repositories (`registry/path`) it may sign; a trailing `/*` covers
    /// everything below.
    pub repositories: Vec<String>,
}

impl TrustedKey {
    /// Whether this key may sign plugin `name`, pulled from `repository`
    /// (`None` for a file in the plugin folder).
    pub fn covers(&self, name: &str, repository: Option<&str>) -> bool {
        self.plugins.iter().any(|p| p == "*" || p == name)
            || repository.is_some_and(|repo| {
                self.repositories
                    .iter()
                    .any(|pattern| match pattern.strip_suffix("/*") {
                        Some(prefix) => repo
                            .strip_prefix(prefix)
                            .is_some_and(|rest| rest.starts_with('/')),
                        None => pattern == repo,
                    })
            })
    }
}

/// What must hold before a plugin is trusted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustPolicy {
    pub keys: Vec<TrustedKey>,
}

/// One signature found for an artifact: the payload and the signature
/// over it, or why it could not be read.
#[derive(Debug, Clone)]
pub struct FoundSignature {
    pub payload: Vec<u8>,
    pub signature: Vec<u8>,
    /// A Fulcio certificate came with it: a keyless signature.
    pub keyless: bool,
}

/// Why a plugin is refused. `reason()` is the metric label.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustRefusal {
    #[error("{0}")]
    Unsigned(String),
    #[error("{0}")]
    Untrusted(String),
    #[error("{0}")]
    BadSignature(String),
    #[error("{0}")]
    DigestMismatch(String),
    #[error("{0}")]
    Tampered(String),
}

impl TrustRefusal {
    pub fn reason(&self) -> &'static str {
        match self {
            TrustRefusal::Unsigned(_) => "unsigned",
            TrustRefusal::Untrusted(_) => "untrusted",
            TrustRefusal::BadSignature(_) => "bad_signature",
            TrustRefusal::DigestMismatch(_) => "digest_mismatch",
            TrustRefusal::Tampered(_) => "tampered",
        }
    }
}

impl TrustPolicy {
    /// The keys that may sign plugin `name` from `repository`.
    fn keys_for<'a>(
        &'a self,
        name: &'a str,
        repository: Option<&'a str>,
    ) -> impl Iterator<Item = &'a TrustedKey> + 'a {
        self.keys.iter().filter(move |k| k.covers(name, repository))
    }

    /// Checks the registry signatures of manifest `digest`: one must be by
    /// a key that may sign `name` from `repository`, over a payload naming
    /// `digest`. Returns the key's name.
    pub fn verify_artifact(
        &self,
        name: &str,
        repository: &str,
        digest: &str,
        signatures: &[FoundSignature],
    ) -> Result<String, TrustRefusal> {
        if signatures.is_empty() {
            return Err(TrustRefusal::Unsigned(format!(
                "it is not signed (no cosign signature for {digest}: neither the {} tag nor an OCI referrer)",
                super::signature::signature_tag(digest)
            )));
        }
        let in_scope: Vec<&TrustedKey> = self.keys_for(name, Some(repository)).collect();
        let mut problems = Vec::new();
        for found in signatures {
            let by_scoped = in_scope
                .iter()
                .find(|k| k.key.verify(&found.payload, &found.signature));
            let Some(key) = by_scoped else {
                let out_of_scope = self
                    .keys
                    .iter()
                    .find(|k| k.key.verify(&found.payload, &found.signature));
                problems.push(match out_of_scope {
                    Some(k) => format!(
                        "a signature by trusted key '{}', which plugins.trust does not allow to sign plugin '{name}' or {repository}",
                        k.name
                    ),
                    None if found.keyless => "a keyless (Fulcio certificate) signature: keyless verification is not supported; sign with a key in plugins.trust".to_string(),
                    None => "a signature by a key that is not in plugins.trust".to_string(),
                });
                continue;
            };
            let payload = SimpleSigning::parse(&found.payload).map_err(|e| {
                TrustRefusal::BadSignature(format!(
                    "key '{}' signed a payload that cannot be read: {e}",
                    key.name
                ))
            })?;
            if payload.digest != digest {
                // A genuine signature of another artifact: replayed.
                problems.push(format!(
                    "a signature by '{}' of another artifact ({}), not of {digest}",
                    key.name, payload.digest
                ));
                continue;
            }
            return Ok(key.name.clone());
        }
        if in_scope.is_empty() {
            return Err(TrustRefusal::Untrusted(format!(
                "no key in plugins.trust may sign plugin '{name}' or {repository}; found {}",
                problems.join("; ")
            )));
        }
        Err(TrustRefusal::Untrusted(format!(
            "no signature by a key trusted for plugin '{name}': found {}",
            problems.join("; ")
        )))
    }

    /// Checks a folder plugin's detached signature of `bytes`. Returns the
    /// key's name.
    pub fn verify_file(
        &self,
        name: &str,
        bytes: &[u8],
        signature: &[u8],
    ) -> Result<String, TrustRefusal> {
        if let Some(key) = self
            .keys_for(name, None)
            .find(|k| k.key.verify(bytes, signature))
        {
            return Ok(key.name.clone());
        }
        match self.keys.iter().find(|k| k.key.verify(bytes, signature)) {
            Some(k) => Err(TrustRefusal::Untrusted(format!(
                "its signature is by trusted key '{}', which plugins.trust does not allow to sign plugin '{name}'",
                k.name
            ))),
            None if self.keys_for(name, None).next().is_none() => Err(TrustRefusal::Untrusted(format!(
                "no key in plugins.trust may sign plugin '{name}'"
            ))),
            None => Err(TrustRefusal::BadSignature(
                "its signature does not verify with any key trusted for it (signed by another key, or the file changed after signing)".into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::signature::{Algorithm, SigningKey};
    use super::*;

    fn key(plugins: &[&str], repositories: &[&str]) -> (SigningKey, TrustedKey) {
        let signing =
            SigningKey::from_pem(&SigningKey::generate(Algorithm::EcdsaP256).unwrap()).unwrap();
        let trusted = TrustedKey {
            name: "release".into(),
            key: signing.public_key(),
            plugins: plugins.iter().map(|s| s.to_string()).collect(),
            repositories: repositories.iter().map(|s| s.to_string()).collect(),
        };
        (signing, trusted)
    }

    fn signed(by: &SigningKey, digest: &str) -> FoundSignature {
        let payload = SimpleSigning {
            digest: digest.into(),
            repository: "r.io/p".into(),
        }
        .to_bytes();
        FoundSignature {
            signature: by.sign(&payload).unwrap(),
            payload,
            keyless: false,
        }
    }

    #[test]
    fn scopes_match_names_and_repository_prefixes() {
        let (_, k) = key(&["kube-core"], &["r.io/acme/*", "q.io/one"]);
        assert!(k.covers("kube-core", None));
        assert!(k.covers("other", Some("r.io/acme/x/y")));
        assert!(k.covers("other", Some("q.io/one")));
        assert!(!k.covers("other", Some("r.io/acmex/y")));
        assert!(!k.covers("other", Some("q.io/one/two")));
        assert!(!k.covers("other", None));
    }

    #[test]
    fn each_refusal_is_told_apart() {
        let (signer, trusted) = key(&["kube-core"], &[]);
        let (stranger, _) = key(&[], &[]);
        let (other_signer, other) = key(&["kube-ops"], &[]);
        let policy = TrustPolicy {
            keys: vec![
                trusted,
                TrustedKey {
                    name: "ops".into(),
                    ..other
                },
            ],
        };
        let d = "sha256:aa";
        assert_eq!(
            policy
                .verify_artifact("kube-core", "r.io/p", d, &[signed(&signer, d)])
                .unwrap(),
            "release"
        );
        let refused = |sigs: &[FoundSignature]| {
            policy
                .verify_artifact("kube-core", "r.io/p", d, sigs)
                .unwrap_err()
        };
        assert_eq!(refused(&[]).reason(), "unsigned");
        let e = refused(&[signed(&stranger, d)]);
        assert!(e.to_string().contains("not in plugins.trust"), "{e}");
        let e = refused(&[signed(&other_signer, d)]);
        assert!(
            e.to_string().contains(
                "trusted key 'ops', which plugins.trust does not allow to sign plugin 'kube-core'"
            ),
            "{e}"
        );
        let e = refused(&[signed(&signer, "sha256:bb")]);
        assert!(
            e.to_string().contains("of another artifact (sha256:bb)"),
            "{e}"
        );
        let mut forged = signed(&signer, d);
        forged.payload = SimpleSigning {
            digest: d.into(),
            repository: "evil".into(),
        }
        .to_bytes();
        assert_eq!(refused(&[forged]).reason(), "untrusted");
    }

    #[test]
    fn detached_signatures() {
        let (signer, trusted) = key(&["kube-core"], &[]);
        let policy = TrustPolicy {
            keys: vec![trusted],
        };
        let sig = signer.sign(b"wasm").unwrap();
        assert_eq!(
            policy.verify_file("kube-core", b"wasm", &sig).unwrap(),
            "release"
        );
        assert_eq!(
            policy
                .verify_file("kube-core", b"wasm!", &sig)
                .unwrap_err()
                .reason(),
            "bad_signature"
        );
        let e = policy.verify_file("kube-ops", b"wasm", &sig).unwrap_err();
        assert!(
            e.to_string()
                .contains("does not allow to sign plugin 'kube-ops'"),
            "{e}"
        );
    }
}
