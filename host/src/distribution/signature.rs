//! Signatures in cosign's formats, over keys cosign and OpenSSL write.
//!
//! * An artifact in a registry is signed the way `cosign sign --key` does:
//!   a "simple signing" JSON payload naming the manifest digest, signed,
//!   stored as a layer of a manifest tagged `sha256-<hex>.sig` with the
//!   signature in the layer's `dev.cosignproject.cosign/signature`
//!   annotation ([`SimpleSigning`]).
//! * A file is signed the way `cosign sign-blob --key` does: the base64
//!   signature of its bytes, in a file next to it ([`detached_path`]).
//!
//! Keys are ECDSA P-256 (signatures are ASN.1 DER over SHA-256, as cosign
//! makes them) or Ed25519. Public keys are PEM `PUBLIC KEY`
//! (SubjectPublicKeyInfo, what `cosign public-key` and `openssl pkey
//! -pubout` print); private keys are unencrypted PKCS#8 PEM.

use std::path::{Path, PathBuf};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest as _, Sha256};

/// The layer media type of a cosign signature payload.
pub const SIMPLE_SIGNING_MEDIA_TYPE: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// The layer annotation that holds the base64 signature of the payload.
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
/// The layer annotation of a keyless (Fulcio) signature's certificate.
pub const CERTIFICATE_ANNOTATION: &str = "dev.sigstore.cosign/certificate";
/// The artifact type of cosign signatures stored as OCI 1.1 referrers.
pub const SIGNATURE_ARTIFACT_TYPE: &str = "application/vnd.dev.cosign.artifact.sig.v1+json";
/// The payload's `critical.type`.
const SIMPLE_SIGNING_TYPE: &str = "cosign container image signature";

/// Which algorithm a key uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    EcdsaP256,
    Ed25519,
}

impl std::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Algorithm::EcdsaP256 => "ECDSA P-256",
            Algorithm::Ed25519 => "Ed25519",
        })
    }
}

// DER prefixes of SubjectPublicKeyInfo for the two algorithms; the key
// follows (a 65-byte uncompressed point, a 32-byte Ed25519 key).
const P256_SPKI_PREFIX: &[u8] = &[
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];
const ED25519_SPKI_PREFIX: &[u8] = &[
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// A public key that may verify signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    algorithm: Algorithm,
    /// The raw key: an uncompressed P-256 point, or 32 Ed25519 bytes.
    raw: Vec<u8>,
}

impl PublicKey {
    /// Reads a PEM `PUBLIC KEY`.
    pub fn from_pem(text: &str) -> Result<PublicKey, String> {
        let block = pem::parse(text.trim()).map_err(|e| format!("not a PEM public key: {e}"))?;
        if block.tag() != "PUBLIC KEY" {
            return Err(format!(
                "a PEM '{}' block, where a 'PUBLIC KEY' (SubjectPublicKeyInfo) was expected",
                block.tag()
            ));
        }
        Self::from_spki(block.contents())
    }

    fn from_spki(der: &[u8]) -> Result<PublicKey, String> {
        if let Some(raw) = der.strip_prefix(P256_SPKI_PREFIX).filter(|k| k.len() == 65) {
            return Ok(PublicKey {
                algorithm: Algorithm::EcdsaP256,
                raw: raw.to_vec(),
            });
        }
        if let Some(raw) = der
            .strip_prefix(ED25519_SPKI_PREFIX)
            .filter(|k| k.len() == 32)
        {
            return Ok(PublicKey {
                algorithm: Algorithm::Ed25519,
                raw: raw.to_vec(),
            });
        }
        Err("the key is neither ECDSA P-256 nor Ed25519 (the algorithms cosign keys use)".into())
    }

    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The PEM `PUBLIC KEY` text.
    pub fn to_pem(&self) -> String {
        let prefix = match self.algorithm {
            Algorithm::EcdsaP256 => P256_SPKI_PREFIX,
            Algorithm::Ed25519 => ED25519_SPKI_PREFIX,
        };
        let der = [prefix, &self.raw].concat();
        pem::encode(&pem::Pem::new("PUBLIC KEY", der))
    }

    /// `sha256:<hex>` of the SubjectPublicKeyInfo: names the key in logs.
    pub fn fingerprint(&self) -> String {
        let prefix = match self.algorithm {
            Algorithm::EcdsaP256 => P256_SPKI_PREFIX,
            Algorithm::Ed25519 => ED25519_SPKI_PREFIX,
        };
        let digest = Sha256::digest([prefix, &self.raw].concat());
        format!("sha256:{}", hex(&digest))
    }

    /// Whether `signature` is this key's signature of `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let algorithm: &'static dyn signature::VerificationAlgorithm = match self.algorithm {
            Algorithm::EcdsaP256 => &signature::ECDSA_P256_SHA256_ASN1,
            Algorithm::Ed25519 => &signature::ED25519,
        };
        UnparsedPublicKey::new(algorithm, &self.raw)
            .verify(message, signature)
            .is_ok()
    }
}

/// A private key that signs.
pub enum SigningKey {
    EcdsaP256(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the private key.
        write!(f, "SigningKey({})", self.public_key().fingerprint())
    }
}

impl SigningKey {
    /// Reads an unencrypted PKCS#8 PEM `PRIVATE KEY` (`openssl genpkey`),
    /// or a SEC 1 `EC PRIVATE KEY` (`openssl ecparam -genkey`).
    pub fn from_pem(text: &str) -> Result<SigningKey, String> {
        let block = pem::parse(text.trim()).map_err(|e| format!("not a PEM private key: {e}"))?;
        match block.tag() {
            "PRIVATE KEY" => {
                if let Ok(key) = EcdsaKeyPair::from_pkcs8(
                    &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
                    block.contents(),
                ) {
                    return Ok(SigningKey::EcdsaP256(key));
                }
                Ed25519KeyPair::from_pkcs8_maybe_unchecked(block.contents())
                    .map(SigningKey::Ed25519)
                    .map_err(|_| "the PKCS#8 key is neither ECDSA P-256 nor Ed25519".to_string())
            }
            "EC PRIVATE KEY" => EcdsaKeyPair::from_private_key_der(
                &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
                block.contents(),
            )
            .map(SigningKey::EcdsaP256)
            .map_err(|e| format!("not a P-256 EC private key: {e}")),
            tag if tag.starts_with("ENCRYPTED") => Err(format!(
                "the key is encrypted ('{tag}'); give an unencrypted PKCS#8 key \
                 (cosign's own encrypted keys are signed with cosign itself: \
                 `cosign sign --key`, which kube-mcp verifies)"
            )),
            tag => Err(format!(
                "a PEM '{tag}' block, where a 'PRIVATE KEY' (PKCS#8) was expected"
            )),
        }
    }

    /// A new key pair, as PKCS#8 PEM.
    pub fn generate(algorithm: Algorithm) -> Result<String, String> {
        let rng = SystemRandom::new();
        let der = match algorithm {
            Algorithm::EcdsaP256 => {
                EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
                    .map_err(|_| "cannot generate a key".to_string())?
                    .as_ref()
                    .to_vec()
            }
            Algorithm::Ed25519 => Ed25519KeyPair::generate_pkcs8v1(&rng)
                .map_err(|_| "cannot generate a key".to_string())?
                .as_ref()
                .to_vec(),
        };
        Ok(pem::encode(&pem::Pem::new("PRIVATE KEY", der)))
    }

    pub fn public_key(&self) -> PublicKey {
        match self {
            SigningKey::EcdsaP256(key) => PublicKey {
                algorithm: Algorithm::EcdsaP256,
                raw: key.public_key().as_ref().to_vec(),
            },
            SigningKey::Ed25519(key) => {
                let der = key
                    .public_key()
                    .as_der()
                    .map(|d| d.as_ref().to_vec())
                    .unwrap_or_default();
                PublicKey::from_spki(&der).unwrap_or(PublicKey {
                    algorithm: Algorithm::Ed25519,
                    raw: key.public_key().as_ref().to_vec(),
                })
            }
        }
    }

    /// The signature of `message`, as cosign makes it.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        match self {
            SigningKey::EcdsaP256(key) => key
                .sign(&SystemRandom::new(), message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| "signing failed".to_string()),
            SigningKey::Ed25519(key) => Ok(key.sign(message).as_ref().to_vec()),
        }
    }
}

/// The payload cosign signs for an image or artifact: the manifest digest
/// and the repository it was signed for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleSigning {
    pub digest: String,
    pub repository: String,
}

impl SimpleSigning {
    /// The payload bytes, as cosign writes them.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "critical": {
                "identity": {"docker-reference": self.repository},
                "image": {"docker-manifest-digest": self.digest},
                "type": SIMPLE_SIGNING_TYPE,
            },
            "optional": null,
        }))
        .expect("a JSON value serializes")
    }

    /// Reads a payload; the signature over it is checked separately.
    pub fn parse(bytes: &[u8]) -> Result<SimpleSigning, String> {
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| format!("the payload is not JSON: {e}"))?;
        let critical = &value["critical"];
        let kind = critical["type"].as_str().unwrap_or_default();
        if kind != SIMPLE_SIGNING_TYPE {
            return Err(format!(
                "the payload's critical.type is '{kind}', not '{SIMPLE_SIGNING_TYPE}'"
            ));
        }
        let digest = critical["image"]["docker-manifest-digest"]
            .as_str()
            .ok_or("the payload has no critical.image.docker-manifest-digest")?;
        Ok(SimpleSigning {
            digest: digest.to_owned(),
            repository: critical["identity"]["docker-reference"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        })
    }
}

/// The tag cosign stores an artifact's signatures under.
pub fn signature_tag(digest: &str) -> String {
    format!("{}.sig", digest.replace(':', "-"))
}

/// Where the detached signature of a plugin file is: `NAME.wasm.sig`.
pub fn detached_path(file: &Path) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(".sig");
    file.with_file_name(name)
}

/// A detached signature file's bytes: base64 text, as `cosign sign-blob`
/// writes it.
pub fn decode_detached(text: &[u8]) -> Result<Vec<u8>, String> {
    let text = std::str::from_utf8(text).map_err(|_| "the signature file is not text")?;
    STANDARD
        .decode(text.trim())
        .map_err(|e| format!("the signature file is not base64: {e}"))
}

pub fn encode_base64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

pub fn decode_base64(text: &str) -> Result<Vec<u8>, String> {
    STANDARD
        .decode(text.trim())
        .map_err(|e| format!("not base64: {e}"))
}

pub use crate::text::hex;

/// `sha256:<hex>` of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex(&Sha256::digest(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_algorithms_sign_and_verify_through_pem() {
        for algorithm in [Algorithm::EcdsaP256, Algorithm::Ed25519] {
            let private = SigningKey::generate(algorithm).unwrap();
            let key = SigningKey::from_pem(&private).unwrap();
            let public = PublicKey::from_pem(&key.public_key().to_pem()).unwrap();
            assert_eq!(public.algorithm(), algorithm);
            let signature = key.sign(b"payload").unwrap();
            assert!(public.verify(b"payload", &signature), "{algorithm}");
            assert!(!public.verify(b"payload!", &signature), "{algorithm}");
            let other = SigningKey::from_pem(&SigningKey::generate(algorithm).unwrap()).unwrap();
            assert!(!other.public_key().verify(b"payload", &signature));
        }
    }

    #[test]
    fn payload_round_trips_and_names_the_digest() {
        let payload = SimpleSigning {
            digest: "sha256:ab".into(),
            repository: "r.io/x".into(),
        };
        assert_eq!(SimpleSigning::parse(&payload.to_bytes()).unwrap(), payload);
        let err = SimpleSigning::parse(br#"{"critical":{"type":"other"}}"#).unwrap_err();
        assert!(err.contains("critical.type is 'other'"), "{err}");
        assert_eq!(signature_tag("sha256:ab"), "sha256-ab.sig");
    }

    #[test]
    fn wrong_key_kinds_are_named() {
        let err =
            PublicKey::from_pem(&SigningKey::generate(Algorithm::Ed25519).unwrap()).unwrap_err();
        assert!(err.contains("'PRIVATE KEY' block"), "{err}");
        let err = SigningKey::from_pem("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n").unwrap_err();
        assert!(err.contains("encrypted"), "{err}");
    }
}
