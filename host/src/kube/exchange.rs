//! OAuth 2.0 Token Exchange (RFC 8693): the caller's access token traded
//! at the identity provider for one a cluster trusts, so the API server
//! authenticates the caller themselves (its own OIDC configuration) and its
//! RBAC decides. The server needs no `impersonate` verb for that cluster.
//!
//! Exchanged tokens are cached per subject token (keyed by its SHA-256, so
//! the cache never holds the caller's token) until shortly before they
//! expire, at most [`MAX_CACHED`] of them; they are never logged, and
//! neither is the caller's token.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::cluster::BearerToken;
use crate::wit::kubernetes::{ApiStatus, Error};

/// The token type RFC 8693 names access tokens by.
const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
/// RFC 8693's grant type.
const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// The most exchanged tokens kept at once.
pub const MAX_CACHED: usize = 4096;
/// How long an exchange may take.
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(10);

/// `kubernetes.clusters[].tokenExchange`, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeConfig {
    /// The IdP's token endpoint.
    pub token_url: url::Url,
    /// kube-mcp's client at the IdP, authenticated with HTTP Basic.
    pub client_id: String,
    /// A file holding the client's secret (read at start).
    pub client_secret_file: PathBuf,
    /// The audience to ask for: the cluster's, as its API server expects.
    pub audience: String,
    /// Scopes to ask for, if any.
    pub scope: Option<String>,
    /// A PEM bundle the token endpoint's certificate is checked against
    /// besides the system's roots.
    pub ca_file: Option<PathBuf>,
}

/// Exchanges callers' tokens for one cluster, and keeps the results.
pub struct TokenExchange {
    config: ExchangeConfig,
    client_secret: String,
    http: reqwest::Client,
    cache: Mutex<HashMap<[u8; 32], Exchanged>>,
}

struct Exchanged {
    token: BearerToken,
    /// When the cached token stops being used (before it expires).
    until: Instant,
}

impl std::fmt::Debug for TokenExchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenExchange")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// The token endpoint's answer (RFC 8693 §2.2.1, RFC 6749 §5.2).
#[derive(serde::Deserialize)]
struct Answer {
    access_token: Option<String>,
    expires_in: Option<u64>,
    error: Option<String>,
    error_description: Option<String>,
}

impl TokenExchange {
    /// Reads the client secret and the CA bundle of `config`.
    pub fn new(config: ExchangeConfig) -> anyhow::Result<TokenExchange> {
        use anyhow::Context;
        let client_secret = std::fs::read_to_string(&config.client_secret_file)
            .with_context(|| {
                format!(
                    "cannot read the token exchange client secret {}",
                    config.client_secret_file.display()
                )
            })?
            .trim()
            .to_owned();
        let mut http = reqwest::Client::builder()
            .user_agent(concat!("kube-mcp/", env!("CARGO_PKG_VERSION")))
            .timeout(EXCHANGE_TIMEOUT);
        if let Some(ca) = &config.ca_file {
            let pem = std::fs::read(ca)
                .with_context(|| format!("cannot read CA bundle {}", ca.display()))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .with_context(|| format!("{} holds no PEM certificate", ca.display()))?;
            http = http.tls_certs_merge(certs);
        }
        Ok(TokenExchange {
            http: http
                .build()
                .context("cannot build the token exchange HTTP client")?,
            config,
            client_secret,
            cache: Mutex::default(),
        })
    }

    /// A token for the cluster in exchange for `subject`, from the cache
    /// while it lasts.
    pub async fn token_for(&self, subject: &BearerToken) -> Result<BearerToken, Error> {
        let key: [u8; 32] = Sha256::digest(subject.secret().as_bytes()).into();
        if let Some(cached) = self.cached(&key) {
            return Ok(cached);
        }
        let (token, lifetime) = self.exchange(subject).await?;
        tracing::debug!(
            audience = %self.config.audience,
            lifetime_s = lifetime.as_secs(),
            "exchanged the caller's token for the cluster's"
        );
        // Stop using it a tenth of its life (at most 30 s) before it ends.
        let margin = (lifetime / 10).min(Duration::from_secs(30));
        let until = Instant::now() + lifetime.saturating_sub(margin);
        let mut cache = self.cache.lock().expect("exchange cache lock");
        if cache.len() >= MAX_CACHED {
            let now = Instant::now();
            cache.retain(|_, e| e.until > now);
            if cache.len() >= MAX_CACHED
                && let Some(soonest) = cache.iter().min_by_key(|(_, e)| e.until).map(|(k, _)| *k)
            {
                cache.remove(&soonest);
            }
        }
        cache.insert(
            key,
            Exchanged {
                token: token.clone(),
                until,
            },
        );
        Ok(token)
    }

    fn cached(&self, key: &[u8; 32]) -> Option<BearerToken> {
        let mut cache = self.cache.lock().expect("exchange cache lock");
        match cache.get(key) {
            Some(e) if e.until > Instant::now() => Some(e.token.clone()),
            Some(_) => {
                cache.remove(key);
                None
            }
            None => None,
        }
    }

    /// How many exchanged tokens are kept now.
    pub fn cached_count(&self) -> usize {
        self.cache.lock().expect("exchange cache lock").len()
    }

    /// One RFC 8693 request: the token and how long it lasts.
    async fn exchange(&self, subject: &BearerToken) -> Result<(BearerToken, Duration), Error> {
        let mut form = vec![
            ("grant_type", GRANT_TYPE),
            ("subject_token", subject.secret()),
            ("subject_token_type", ACCESS_TOKEN_TYPE),
            ("requested_token_type", ACCESS_TOKEN_TYPE),
            ("audience", &self.config.audience),
        ];
        if let Some(scope) = &self.config.scope {
            form.push(("scope", scope));
        }
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&form)
            .finish();
        let url = &self.config.token_url;
        let unavailable =
            |why: String| Error::Unavailable(format!("token exchange at {url} failed: {why}"));
        let response = self
            .http
            .post(url.clone())
            .basic_auth(&self.config.client_id, Some(&self.client_secret))
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body)
            .send()
            .await
            .map_err(|e| unavailable(crate::text::with_causes(&e)))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| unavailable(crate::text::with_causes(&e)))?;
        let answer: Answer = serde_json::from_slice(&body).map_err(|_| {
            unavailable(format!(
                "HTTP {status}, and the answer is not an OAuth token response"
            ))
        })?;
        if let (true, Some(token)) = (status.is_success(), answer.access_token) {
            let lifetime = Duration::from_secs(answer.expires_in.unwrap_or(60).max(1));
            return Ok((BearerToken::new(token), lifetime));
        }
        let error = answer.error.unwrap_or_else(|| status.to_string());
        let description = answer
            .error_description
            .map(|d| format!(": {d}"))
            .unwrap_or_default();
        let refused = format!(
            "the identity provider refused to exchange the caller's token for audience '{}' \
             ({error}{description})",
            self.config.audience
        );
        match error.as_str() {
            // kube-mcp's own client is wrong: the operator's to fix.
            "invalid_client" | "unauthorized_client" => Err(unavailable(format!(
                "{refused}; check kube-mcp's client '{}' at the identity provider",
                self.config.client_id
            ))),
            _ if status.is_server_error() => Err(unavailable(refused)),
            // The caller's token (revoked, not for this exchange) or
            // policy: the caller's to fix, as a 403.
            _ => Err(Error::Forbidden(ApiStatus {
                code: 403,
                reason: "TokenExchangeRefused".into(),
                message: refused,
            })),
        }
    }
}
