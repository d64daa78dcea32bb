//! An issuer's signing keys: discovered once, cached, refreshed.
//!
//! Keys are fetched from the `jwks_uri` of
//! `<issuer>/.well-known/openid-configuration` at start (retried with
//! backoff while the IdP is down, without stopping the server) and every
//! [`KEYS_TTL`] after. A token with an unknown `kid` may trigger one early
//! refresh, at most once per [`MIN_REFRESH_INTERVAL`]: a stream of forged
//! tokens with random key ids costs the IdP nothing. When a refresh fails,
//! the keys already held keep working.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey};
use url::Url;

/// How long fetched keys are used before they are fetched again.
pub const KEYS_TTL: Duration = Duration::from_secs(300);
/// The least time between two fetches caused by unknown key ids.
pub const MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(10);
/// HTTP timeout of one fetch, body included.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest discovery document or JWKS read (real ones are a few KiB).
pub const MAX_DOCUMENT: usize = 256 * 1024;

/// Where an issuer's keys come from, and how strictly.
#[derive(Debug, Clone)]
pub struct KeySource {
    /// The discovery base.
    pub url: Url,
    /// The issuer as configured: the discovery document must name exactly it.
    pub issuer: String,
    /// Whether a non-loopback `http` JWKS URL is accepted.
    pub allow_http: bool,
}

impl From<&super::issuer::IssuerConfig> for KeySource {
    fn from(config: &super::issuer::IssuerConfig) -> KeySource {
        KeySource {
            url: config.issuer_url.clone(),
            issuer: config.issuer.clone(),
            allow_http: config.allow_http,
        }
    }
}

/// The kind of key an algorithm needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Rsa,
    EcP256,
    Ed25519,
}

impl KeyKind {
    /// The key kind `alg` verifies with; `None` for HMAC, whose keys never
    /// come from a JWKS.
    pub fn of(alg: Algorithm) -> Option<KeyKind> {
        match alg {
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512 => Some(KeyKind::Rsa),
            Algorithm::ES256 => Some(KeyKind::EcP256),
            Algorithm::EdDSA => Some(KeyKind::Ed25519),
            _ => None,
        }
    }
}

struct Key {
    kid: Option<String>,
    kind: KeyKind,
    /// The JWK's own `alg`, when it names one: then it verifies only
    /// tokens of that algorithm (RFC 7517 §4.4).
    alg: Option<String>,
    key: DecodingKey,
}

#[derive(Default)]
struct KeySet {
    keys: Vec<Key>,
    /// When they were fetched; `None` until the first success.
    fetched: Option<Instant>,
}

/// Why no key could be found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// The issuer's keys have never been fetched (the IdP is unreachable).
    Unavailable(String),
    /// No key with this id (and kind) is published.
    UnknownKid(String),
}

/// One issuer's keys.
pub struct IssuerKeys {
    issuer: Url,
    source: KeySource,
    http: reqwest::Client,
    keys: ArcSwap<KeySet>,
    /// Serialises fetches and remembers when the last one started.
    last_fetch: tokio::sync::Mutex<Option<Instant>>,
    /// Why the last fetch failed, if it did.
    last_error: std::sync::Mutex<Option<String>>,
    /// Requests sent to the IdP, for tests and metrics.
    pub requests: AtomicU64,
}

impl IssuerKeys {
    pub fn new(source: KeySource, http: reqwest::Client) -> Arc<IssuerKeys> {
        Arc::new(IssuerKeys {
            issuer: source.url.clone(),
            source,
            http,
            keys: ArcSwap::from_pointee(KeySet::default()),
            last_fetch: tokio::sync::Mutex::new(None),
            last_error: std::sync::Mutex::new(None),
            requests: AtomicU64::new(0),
        })
    }

    pub fn issuer(&self) -> &Url {
        &self.issuer
    }

    /// Whether keys have been fetched at least once.
    pub fn has_keys(&self) -> bool {
        self.keys.load().fetched.is_some()
    }

    /// Keeps the keys fresh for as long as the task runs: fetches at once
    /// (retrying with backoff while the IdP is down), then every
    /// [`KEYS_TTL`].
    pub fn spawn_refresher(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let keys = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut backoff = Duration::from_secs(1);
            loop {
                let Some(this) = keys.upgrade() else { return };
                let wait = match this.refresh().await {
                    Ok(()) => {
                        backoff = Duration::from_secs(1);
                        KEYS_TTL
                    }
                    Err(e) => {
                        tracing::warn!(issuer = %this.issuer, "cannot fetch the issuer's signing keys (keeping those held, retrying in {}): {e}", humantime::format_duration(backoff));
                        let wait = backoff;
                        backoff = (backoff * 2).min(Duration::from_secs(60));
                        wait
                    }
                };
                drop(this);
                tokio::time::sleep(wait).await;
            }
        })
    }

    /// The key to verify a token signed with `alg` and key id `kid`.
    pub async fn key(&self, kid: Option<&str>, alg: Algorithm) -> Result<DecodingKey, KeyError> {
        let kind = KeyKind::of(alg).ok_or_else(|| KeyError::UnknownKid(String::new()))?;
        if let Some(key) = self.find(kid, kind, alg) {
            return Ok(key);
        }
        // Unknown key id: the IdP may have rotated; look again, but at most
        // once per interval whatever the tokens say.
        let refreshed = {
            let mut last = self.last_fetch.lock().await;
            let due = last.is_none_or(|at| at.elapsed() >= MIN_REFRESH_INTERVAL);
            if due {
                *last = Some(Instant::now());
                Some(self.fetch().await)
            } else {
                None
            }
        };
        if let Some(Err(e)) = &refreshed {
            tracing::warn!(issuer = %self.issuer, "cannot refresh the issuer's signing keys: {e}");
        }
        if let Some(key) = self.find(kid, kind, alg) {
            return Ok(key);
        }
        if !self.has_keys() {
            let why = self
                .last_error
                .lock()
                .expect("error lock")
                .clone()
                .unwrap_or_else(|| "not fetched yet".into());
            return Err(KeyError::Unavailable(why));
        }
        Err(KeyError::UnknownKid(kid.unwrap_or_default().to_owned()))
    }

    fn find(&self, kid: Option<&str>, kind: KeyKind, alg: Algorithm) -> Option<DecodingKey> {
        let set = self.keys.load();
        // `Algorithm`'s names are the JWA names (`RS256`, `PS256`, `EdDSA`).
        let alg = format!("{alg:?}");
        let mut candidates = set
            .keys
            .iter()
            .filter(|k| k.kind == kind && k.alg.as_ref().is_none_or(|a| *a == alg));
        match kid {
            Some(kid) => candidates
                .find(|k| k.kid.as_deref() == Some(kid))
                .map(|k| k.key.clone()),
            // Without a kid, only an unambiguous key will do.
            None => {
                let first = candidates.next()?;
                candidates.next().is_none().then(|| first.key.clone())
            }
        }
    }

    /// Fetches now (one fetch at a time).
    pub async fn refresh(&self) -> Result<(), String> {
        let mut last = self.last_fetch.lock().await;
        *last = Some(Instant::now());
        self.fetch().await
    }

    async fn fetch(&self) -> Result<(), String> {
        let result = self.fetch_keys().await;
        match &result {
            Ok(set) => {
                tracing::info!(issuer = %self.issuer, keys = set.keys.len(), "fetched the issuer's signing keys");
                *self.last_error.lock().expect("error lock") = None;
            }
            Err(e) => *self.last_error.lock().expect("error lock") = Some(e.clone()),
        }
        result.map(|set| self.keys.store(Arc::new(set)))
    }

    /// A JSON document of at most [`MAX_DOCUMENT`] bytes, read within
    /// [`FETCH_TIMEOUT`]: an IdP (or whoever answers for it) cannot make the
    /// server hold an endless body or wait forever.
    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, String> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let read = async {
            let mut response = self
                .http
                .get(url)
                .send()
                .await
                .map_err(|e| format!("GET {url}: {e}"))?;
            let status = response.status();
            if !status.is_success() {
                return Err(format!("GET {url}: HTTP {status}"));
            }
            let too_big = || format!("GET {url}: the document is larger than {MAX_DOCUMENT} bytes");
            if response
                .content_length()
                .is_some_and(|l| l > MAX_DOCUMENT as u64)
            {
                return Err(too_big());
            }
            let mut body = Vec::new();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| format!("GET {url}: {e}"))?
            {
                if body.len() + chunk.len() > MAX_DOCUMENT {
                    return Err(too_big());
                }
                body.extend_from_slice(&chunk);
            }
            serde_json::from_slice(&body)
                .map_err(|e| format!("GET {url}: not the expected JSON: {e}"))
        };
        tokio::time::timeout(FETCH_TIMEOUT, read)
            .await
            .unwrap_or_else(|_| {
                Err(format!(
                    "GET {url}: no whole answer within {}",
                    humantime::format_duration(FETCH_TIMEOUT)
                ))
            })
    }

    async fn fetch_keys(&self) -> Result<KeySet, String> {
        #[derive(serde::Deserialize)]
        struct Discovery {
            issuer: String,
            jwks_uri: String,
        }
        let base = self.issuer.as_str().trim_end_matches('/');
        let discovery: Discovery = self
            .get_json(&format!("{base}/.well-known/openid-configuration"))
            .await?;
        // OIDC Discovery §4.3: the document must name exactly the issuer it
        // was fetched for (the one tokens carry), or it may be someone else's.
        if discovery.issuer != self.source.issuer {
            return Err(format!(
                "the discovery document names issuer '{}', not '{}' (they must be equal)",
                discovery.issuer, self.source.issuer
            ));
        }
        let jwks_uri = Url::parse(&discovery.jwks_uri)
            .map_err(|e| format!("jwks_uri '{}' is not a URL: {e}", discovery.jwks_uri))?;
        let plain = jwks_uri.scheme() == "http"
            && !self.source.allow_http
            && !super::issuer::is_loopback(&jwks_uri);
        if plain || !matches!(jwks_uri.scheme(), "http" | "https") {
            return Err(format!(
                "jwks_uri '{jwks_uri}' is not https: keys fetched over plain HTTP can be replaced \
                 on the way (allowHttp permits it for an in-cluster IdP)"
            ));
        }
        let jwks: JwkSet = self.get_json(jwks_uri.as_str()).await?;
        Ok(self.key_set(&jwks))
    }

    /// The signing keys of a JWKS that this server can use.
    fn key_set(&self, jwks: &JwkSet) -> KeySet {
        let mut keys = Vec::new();
        for jwk in &jwks.keys {
            let kind = match &jwk.algorithm {
                AlgorithmParameters::RSA(_) => KeyKind::Rsa,
                AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => {
                    KeyKind::EcP256
                }
                AlgorithmParameters::OctetKeyPair(okp) if okp.curve == EllipticCurve::Ed25519 => {
                    KeyKind::Ed25519
                }
                // Symmetric keys are never taken from a JWKS; other curves
                // are not accepted algorithms.
                _ => continue,
            };
            // Encryption keys are not signing keys.
            if jwk.common.public_key_use == Some(jsonwebtoken::jwk::PublicKeyUse::Encryption) {
                continue;
            }
            match DecodingKey::from_jwk(jwk) {
                Ok(key) => keys.push(Key {
                    kid: jwk.common.key_id.clone(),
                    kind,
                    alg: jwk.common.key_algorithm.map(|a| a.to_string()),
                    key,
                }),
                Err(e) => {
                    tracing::warn!(issuer = %self.issuer, kid = ?jwk.common.key_id, "skipping an unusable key: {e}")
                }
            }
        }
        KeySet {
            keys,
            fetched: Some(Instant::now()),
        }
    }

    /// Keys given rather than fetched, for benchmarks of validation alone.
    #[doc(hidden)]
    pub fn preloaded(issuer: Url, jwks: &JwkSet) -> Arc<IssuerKeys> {
        let source = KeySource {
            issuer: issuer.to_string(),
            url: issuer,
            allow_http: false,
        };
        let keys = IssuerKeys::new(source, reqwest::Client::new());
        keys.keys.store(Arc::new(keys.key_set(jwks)));
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The RSA public key of RFC 7517, appendix A.1.
    const N: &str = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";

    #[test]
    fn a_key_that_names_its_algorithm_verifies_only_that_algorithm() {
        let jwks: JwkSet = serde_json::from_value(serde_json::json!({"keys": [
            {"kty": "RSA", "kid": "rs", "alg": "RS256", "use": "sig", "n": N, "e": "AQAB"},
            {"kty": "RSA", "kid": "any", "n": N, "e": "AQAB"},
        ]}))
        .unwrap();
        let keys = IssuerKeys::preloaded("https://idp.example.com".parse().unwrap(), &jwks);
        assert!(
            keys.find(Some("rs"), KeyKind::Rsa, Algorithm::RS256)
                .is_some()
        );
        assert!(
            keys.find(Some("rs"), KeyKind::Rsa, Algorithm::PS256)
                .is_none(),
            "an RS256 key is not used for a PS256 token"
        );
        assert!(
            keys.find(Some("any"), KeyKind::Rsa, Algorithm::PS256)
                .is_some()
        );
        // Without a kid, the one key that fits the algorithm is unambiguous.
        assert!(keys.find(None, KeyKind::Rsa, Algorithm::PS256).is_some());
        assert!(
            keys.find(None, KeyKind::Rsa, Algorithm::RS256).is_none(),
            "two fit"
        );
    }
}
