//! One bearer token to a [`Principal`], or the precise reason why not.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

use super::issuer::{IssuerConfig, KubeNaming, SigningAlgorithm};
use super::keys::{IssuerKeys, KeyError};
use super::{CallerId, Principal};
use crate::kube::{BearerToken, Impersonated};

/// Why a request is not authenticated (401) or not authorized (403).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No bearer token was sent.
    #[error("a bearer token is required")]
    Missing,
    /// The token came some other way than the `Authorization` header.
    #[error("tokens in the query string are not accepted; send an Authorization: Bearer header")]
    InQuery,
    /// A token was sent and is not acceptable; says why.
    #[error("{0}")]
    Invalid(Rejection),
    /// The token is fine but lacks scopes.
    #[error("the token lacks the required scope(s): {}", .missing.join(" "))]
    InsufficientScope {
        required: Vec<String>,
        missing: Vec<String>,
    },
    /// A valid token that names someone the server must never act as
    /// (a `system:` user or group); 401, and an audit line.
    #[error("{0}")]
    Refused(ImpersonationRefusal),
    /// The issuer's keys cannot be had right now.
    #[error("the token cannot be checked now: {0}")]
    Unavailable(String),
}

/// Why a token is not acceptable: one cause each, with the words the
/// caller sees in `error_description`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("the Authorization header is not text")]
    HeaderNotText,
    #[error("the token is not a JWT (header.payload.signature)")]
    NotAJwt,
    /// A segment (`header`, `payload`) is not base64url.
    #[error("the token's {0} is not base64url")]
    NotBase64(&'static str),
    #[error("the token's {0} is not a JSON object")]
    NotAnObject(&'static str),
    #[error("unsigned tokens (alg none, or no alg) are never accepted")]
    Unsigned,
    /// The header's `crit`, as written.
    #[error(
        "the token's header marks parameters critical ('crit': {0}) that this server does not \
         understand"
    )]
    CriticalExtension(String),
    #[error("token type '{0}' is not an access token (at+jwt or JWT)")]
    NotAccessTokenType(String),
    #[error("unreadable token header: {0}")]
    UnreadableHeader(String),
    #[error("the token has no '{0}' claim")]
    MissingClaim(String),
    #[error("issuer '{0}' is not trusted")]
    UntrustedIssuer(String),
    /// The token's issuer and the configured one differ only by a trailing
    /// slash.
    #[error(
        "issuer '{issuer}' is not trusted (the configured issuer '{configured}' differs from it \
         only by a trailing slash: they must match exactly)"
    )]
    IssuerSlash { issuer: String, configured: String },
    #[error("algorithm {algorithm} is not accepted for issuer '{issuer}' (accepted: {accepted})")]
    AlgorithmNotAccepted {
        algorithm: String,
        issuer: String,
        accepted: String,
    },
    #[error("HS256 is not configured")]
    Hs256NotConfigured,
    #[error("the token names no key id (kid) and the issuer has several keys")]
    NoKeyId,
    #[error("the issuer has no {algorithm} key with id '{kid}'")]
    UnknownKey { algorithm: String, kid: String },
    #[error("the signature does not verify")]
    BadSignature,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet (nbf)")]
    NotYetValid,
    #[error("the token is issued in the future (iat)")]
    IssuedInFuture,
    /// The audiences this issuer's tokens may carry, joined.
    #[error("the token's audience is not accepted here (accepted: {0})")]
    Audience(String),
    #[error("the key does not fit the token's algorithm")]
    KeyAlgorithm,
    /// What jsonwebtoken said, for the causes above do not cover it.
    #[error("invalid token: {0}")]
    Other(String),
    /// An ID token, known by this claim (`at_hash`, `c_hash`).
    #[error("this is an OpenID Connect ID token ('{0}' claim), not an access token")]
    IdTokenClaim(&'static str),
    /// An ID token, known by its `typ` claim.
    #[error("this is an OpenID Connect ID token ('typ': '{0}'), not an access token")]
    IdTokenType(String),
    /// Accepted only for the client ID, with no mark of an access token.
    #[error(
        "the token's only accepted audience is the client ID '{0}', and it has no mark of an \
         access token (typ at+jwt, or a scope, scp, roles or client_id claim): an OpenID \
         Connect ID token is not an access token"
    )]
    OnlyForClient(String),
    /// The claim that names the Kubernetes user is missing or empty.
    #[error("the token has no '{0}' claim, which names the caller in Kubernetes")]
    NoKubernetesName(String),
    #[error("the token's email names the caller in Kubernetes, and email_verified is not true")]
    EmailNotVerified,
}

/// A valid token the server refuses to act for: it names a Kubernetes
/// `system:` user or group.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImpersonationRefusal {
    #[error(
        "the token would act as Kubernetes user '{0}', and system: users are never impersonated"
    )]
    SystemUser(String),
    #[error(
        "the token would act in Kubernetes group '{0}', and system: groups are never \
         impersonated (an impersonation.groupPrefix keeps the issuer's groups apart)"
    )]
    SystemGroup(String),
}

/// One trusted issuer, ready to check tokens.
pub struct TrustedIssuer {
    pub config: IssuerConfig,
    /// Accepted audiences, with the defaults filled in.
    pub audiences: Vec<String>,
    pub keys: Arc<IssuerKeys>,
    /// The OAuth client ID, when it is an accepted audience: a token
    /// accepted only through it must show it is an access token.
    pub client_id: Option<String>,
    hs256: Option<DecodingKey>,
}

impl TrustedIssuer {
    pub fn new(config: IssuerConfig, audiences: Vec<String>, keys: Arc<IssuerKeys>) -> Self {
        let hs256 = config
            .hs256_secret
            .as_ref()
            .map(|s| DecodingKey::from_secret(&s.0));
        TrustedIssuer {
            config,
            audiences,
            keys,
            client_id: None,
            hs256,
        }
    }

    /// The same issuer, with `client_id` among its accepted audiences.
    pub fn with_client_id(mut self, client_id: Option<String>) -> Self {
        self.client_id = client_id.filter(|id| self.audiences.contains(id));
        self
    }
}

/// Checks tokens against every trusted issuer.
pub struct Validator {
    pub issuers: Vec<TrustedIssuer>,
    pub leeway: Duration,
    /// Whether callers are impersonated in Kubernetes: each token must then
    /// name a user its issuer's [`KubeNaming`] maps outside `system:`.
    pub impersonate: bool,
    /// Tokens verified lately, by SHA-256 (the token itself is not kept).
    pub cache: VerifiedCache,
}

/// How long a verified token is taken as verified without checking again
/// (never past its `exp`): a client sends the same token with every
/// request, and an RSA or ECDSA check costs 100-200 µs.
pub const VERIFIED_TTL: Duration = Duration::from_secs(60);
const VERIFIED_CAPACITY: usize = 10_000;

/// Recently verified tokens.
#[derive(Default)]
pub struct VerifiedCache {
    entries: std::sync::Mutex<std::collections::HashMap<[u8; 32], (Principal, std::time::Instant)>>,
}

impl VerifiedCache {
    fn get(&self, digest: &[u8; 32]) -> Option<Principal> {
        let entries = self.entries.lock().expect("cache lock");
        let (principal, until) = entries.get(digest)?;
        (std::time::Instant::now() < *until).then(|| principal.clone())
    }

    fn insert(&self, digest: [u8; 32], principal: &Principal) {
        let exp = principal
            .claims
            .get("exp")
            .and_then(Value::as_f64)
            .unwrap_or(0.0);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64();
        let left = Duration::from_secs_f64((exp - now).max(0.0)).min(VERIFIED_TTL);
        let mut entries = self.entries.lock().expect("cache lock");
        if entries.len() >= VERIFIED_CAPACITY {
            let now = std::time::Instant::now();
            entries.retain(|_, (_, until)| *until > now);
            if entries.len() >= VERIFIED_CAPACITY {
                entries.clear();
            }
        }
        entries.insert(
            digest,
            (principal.clone(), std::time::Instant::now() + left),
        );
    }
}

fn algorithm(alg: Algorithm) -> Option<SigningAlgorithm> {
    Some(match alg {
        Algorithm::RS256 => SigningAlgorithm::RS256,
        Algorithm::HS256 => SigningAlgorithm::HS256,
        Algorithm::ES256 => SigningAlgorithm::ES256,
        Algorithm::PS256 => SigningAlgorithm::PS256,
        Algorithm::EdDSA => SigningAlgorithm::EdDSA,
        _ => return None,
    })
}

/// The JSON of a token segment, without checking anything.
fn segment(token: &str, index: usize, what: &'static str) -> Result<Map<String, Value>, AuthError> {
    let part = token
        .split('.')
        .nth(index)
        .ok_or(AuthError::Invalid(Rejection::NotAJwt))?;
    let bytes = URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|_| AuthError::Invalid(Rejection::NotBase64(what)))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(AuthError::Invalid(Rejection::NotAnObject(what))),
    }
}

/// A list of strings from a claim that is a list or a single string
/// (`split` splits a string claim, as `scope` is space-separated).
fn strings(value: Option<&Value>, split: bool) -> Vec<String> {
    match value {
        Some(Value::String(s)) if split => s.split_whitespace().map(str::to_owned).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

impl Validator {
    /// The issuer a token claims, if it is one of ours: the configured
    /// issuer exactly, as the OIDC authenticators of the apiserver and envoy
    /// compare it.
    fn trusted(&self, iss: &str) -> Result<&TrustedIssuer, AuthError> {
        if let Some(issuer) = self.issuers.iter().find(|i| i.config.issuer == iss) {
            return Ok(issuer);
        }
        let near = self
            .issuers
            .iter()
            .find(|i| i.config.issuer.trim_end_matches('/') == iss.trim_end_matches('/'));
        Err(AuthError::Invalid(match near {
            Some(i) => Rejection::IssuerSlash {
                issuer: iss.to_owned(),
                configured: i.config.issuer.clone(),
            },
            None => Rejection::UntrustedIssuer(iss.to_owned()),
        }))
    }

    /// Verifies `token`: signature by a key of its (trusted) issuer with an
    /// accepted algorithm, `iss`, `aud`, `exp`, `nbf`, `iat`, `typ`, then
    /// the issuer's required scopes.
    pub async fn validate(&self, token: &str) -> Result<Principal, AuthError> {
        use sha2::Digest as _;
        let digest: [u8; 32] = sha2::Sha256::digest(token.as_bytes()).into();
        if let Some(principal) = self.cache.get(&digest) {
            return Ok(principal);
        }
        let principal = self.verify(token).await?;
        self.cache.insert(digest, &principal);
        Ok(principal)
    }

    /// [`Self::validate`] without the cache of verified tokens.
    pub async fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        let jwt_header = check_header(token)?;
        let payload = segment(token, 1, "payload")?;
        let iss = payload
            .get("iss")
            .and_then(Value::as_str)
            .ok_or_else(|| AuthError::Invalid(Rejection::MissingClaim("iss".into())))?;
        let issuer = self.trusted(iss)?;

        let alg = jwt_header.alg;
        let accepted = algorithm(alg).is_some_and(|a| issuer.config.algorithms.contains(&a));
        if !accepted {
            return Err(AuthError::Invalid(Rejection::AlgorithmNotAccepted {
                algorithm: format!("{alg:?}"),
                issuer: iss.to_owned(),
                accepted: issuer
                    .config
                    .algorithms
                    .iter()
                    .map(|a| a.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            }));
        }
        let key = issuer.key(iss, alg, jwt_header.kid.as_deref()).await?;

        let mut validation = Validation::new(alg);
        validation.leeway = self.leeway.as_secs();
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.set_issuer(&[iss]);
        validation.set_audience(&issuer.audiences);
        let claims = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
            .map_err(|e| {
                AuthError::Invalid(match e.kind() {
                    ErrorKind::InvalidSignature => Rejection::BadSignature,
                    ErrorKind::ExpiredSignature => Rejection::Expired,
                    ErrorKind::ImmatureSignature => Rejection::NotYetValid,
                    ErrorKind::InvalidAudience => Rejection::Audience(issuer.audiences.join(", ")),
                    ErrorKind::InvalidIssuer => Rejection::UntrustedIssuer(iss.to_owned()),
                    ErrorKind::MissingRequiredClaim(claim) => {
                        Rejection::MissingClaim(claim.clone())
                    }
                    ErrorKind::InvalidAlgorithm => Rejection::KeyAlgorithm,
                    other => Rejection::Other(format!("{other:?}")),
                })
            })?
            .claims;

        // An ID token says who logged in to a client; it is not a grant to
        // call this server, even when its `aud` (the client ID) is accepted.
        if let Some(marker) = ["at_hash", "c_hash"]
            .iter()
            .find(|c| claims.contains_key(**c))
        {
            return Err(AuthError::Invalid(Rejection::IdTokenClaim(marker)));
        }
        if let Some(typ) = claims.get("typ").and_then(Value::as_str)
            && (typ.eq_ignore_ascii_case("id") || typ.eq_ignore_ascii_case("id_token"))
        {
            return Err(AuthError::Invalid(Rejection::IdTokenType(typ.to_owned())));
        }
        if let Some(client_id) = &issuer.client_id {
            only_for_client(client_id, &issuer.audiences, &jwt_header, &claims)?;
        }
        if let Some(iat) = claims.get("iat").and_then(Value::as_f64) {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs_f64();
            if iat > now + self.leeway.as_secs_f64() {
                return Err(AuthError::Invalid(Rejection::IssuedInFuture));
            }
        }

        let subject = claims
            .get("sub")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let mut scopes = strings(claims.get("scope"), true);
        scopes.extend(strings(claims.get("scp"), true));
        let impersonated = if self.impersonate {
            Some(impersonated(&issuer.config, &claims)?)
        } else {
            None
        };
        let principal = Principal {
            impersonated,
            token: Some(BearerToken::new(token)),
            id: CallerId {
                issuer: iss.to_owned(),
                subject,
            },
            username: claims
                .get(&issuer.config.username_claim)
                .and_then(Value::as_str)
                .map(str::to_owned),
            groups: strings(claims.get(&issuer.config.groups_claim), false),
            scopes,
            claims,
        };
        let missing: Vec<String> = issuer
            .config
            .required_scopes
            .iter()
            .filter(|s| !principal.scopes.contains(s))
            .cloned()
            .collect();
        if !missing.is_empty() {
            return Err(AuthError::InsufficientScope {
                required: issuer.config.required_scopes.clone(),
                missing,
            });
        }
        Ok(principal)
    }
}

/// The token's header, if it is a signed JWT of an access-token type with
/// no critical extension. Read raw first, so the reason names what is
/// wrong (jsonwebtoken refuses `alg: none` and a bad `crit` alike).
fn check_header(token: &str) -> Result<jsonwebtoken::Header, AuthError> {
    if token.split('.').count() != 3 {
        return Err(AuthError::Invalid(Rejection::NotAJwt));
    }
    let header = segment(token, 0, "header")?;
    let alg_name = header.get("alg").and_then(Value::as_str).unwrap_or("");
    if alg_name.is_empty() || alg_name.eq_ignore_ascii_case("none") {
        return Err(AuthError::Invalid(Rejection::Unsigned));
    }
    // RFC 7515 §4.1.11: extensions marked critical must be understood
    // or the token refused. This server implements none, so any `crit`
    // (even an empty or malformed one, which the RFC forbids) is refused.
    if let Some(crit) = header.get("crit") {
        return Err(AuthError::Invalid(Rejection::CriticalExtension(
            crit.to_string(),
        )));
    }
    if let Some(typ) = header.get("typ").and_then(Value::as_str) {
        let typ = typ.to_ascii_lowercase();
        let typ = typ.strip_prefix("application/").unwrap_or(&typ);
        if typ != "at+jwt" && typ != "jwt" {
            return Err(AuthError::Invalid(Rejection::NotAccessTokenType(
                typ.to_owned(),
            )));
        }
    }
    jsonwebtoken::decode_header(token)
        .map_err(|e| AuthError::Invalid(Rejection::UnreadableHeader(e.to_string())))
}

impl TrustedIssuer {
    /// The key that must have signed a token of `alg` naming `kid`, from
    /// this issuer (`iss`, for messages).
    async fn key(
        &self,
        iss: &str,
        alg: Algorithm,
        kid: Option<&str>,
    ) -> Result<DecodingKey, AuthError> {
        if alg == Algorithm::HS256 {
            self.hs256
                .clone()
                .ok_or(AuthError::Invalid(Rejection::Hs256NotConfigured))
        } else {
            self.keys.key(kid, alg).await.map_err(|e| match e {
                KeyError::Unavailable(why) => AuthError::Unavailable(format!(
                    "the signing keys of '{iss}' are not available: {why}"
                )),
                KeyError::UnknownKid(kid) if kid.is_empty() => {
                    AuthError::Invalid(Rejection::NoKeyId)
                }
                KeyError::UnknownKid(kid) => AuthError::Invalid(Rejection::UnknownKey {
                    algorithm: format!("{alg:?}"),
                    kid,
                }),
            })
        }
    }
}

/// A token accepted only because its `aud` is the client ID is what an ID
/// token looks like (OIDC Core §2: `aud` is the client). It passes only with
/// a mark of an access token: `typ: at+jwt` (RFC 9068), or a `scope`,
/// `scp`, `roles` or `client_id` claim, which every access token we know of
/// (Entra ID, Keycloak, node-oidc-provider, Okta, Auth0) carries and ID
/// tokens do not.
fn only_for_client(
    client_id: &str,
    audiences: &[String],
    header: &jsonwebtoken::Header,
    claims: &Map<String, Value>,
) -> Result<(), AuthError> {
    let aud = strings(claims.get("aud"), false);
    let other = aud.iter().any(|a| a != client_id && audiences.contains(a));
    let typ_at = header.typ.as_deref().is_some_and(|t| {
        t.eq_ignore_ascii_case("at+jwt") || t.eq_ignore_ascii_case("application/at+jwt")
    });
    let marked = ["scope", "scp", "roles", "client_id"]
        .iter()
        .any(|c| claims.contains_key(*c));
    if other || typ_at || marked {
        return Ok(());
    }
    Err(AuthError::Invalid(Rejection::OnlyForClient(
        client_id.to_owned(),
    )))
}

/// Who a caller becomes in Kubernetes, by their issuer's naming: the
/// apiserver's OIDC rules (a required user claim, verified `email`) plus
/// a refusal of every `system:` name, which belong to Kubernetes itself.
fn impersonated(
    issuer: &IssuerConfig,
    claims: &Map<String, Value>,
) -> Result<Impersonated, AuthError> {
    let KubeNaming {
        user_claim,
        user_prefix,
        group_prefix,
    } = &issuer.naming;
    let name = claims
        .get(user_claim)
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| AuthError::Invalid(Rejection::NoKubernetesName(user_claim.clone())))?;
    if issuer.naming.by_email() && claims.get("email_verified") != Some(&Value::Bool(true)) {
        return Err(AuthError::Invalid(Rejection::EmailNotVerified));
    }
    let user = format!("{user_prefix}{name}");
    if user.starts_with("system:") {
        return Err(AuthError::Refused(ImpersonationRefusal::SystemUser(user)));
    }
    let groups: Vec<String> = strings(claims.get(&issuer.groups_claim), false)
        .into_iter()
        .map(|g| format!("{group_prefix}{g}"))
        .collect();
    if let Some(group) = groups.iter().find(|g| g.starts_with("system:")) {
        return Err(AuthError::Refused(ImpersonationRefusal::SystemGroup(
            group.clone(),
        )));
    }
    Ok(Impersonated { user, groups })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::issuer::Secret;
    use jsonwebtoken::{EncodingKey, Header, encode};
    use serde_json::json;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
    const ISSUER: &str = "https://idp.example.com";
    const AUDIENCE: &str = "https://mcp.example.com/mcp";

    fn validator(required_scopes: &[&str]) -> Validator {
        let config = IssuerConfig {
            required_scopes: required_scopes.iter().map(|s| s.to_string()).collect(),
            algorithms: vec![SigningAlgorithm::HS256, SigningAlgorithm::RS256],
            hs256_secret: Some(Secret(SECRET.to_vec())),
            ..IssuerConfig::new(ISSUER).unwrap()
        };
        let keys = IssuerKeys::new((&config).into(), reqwest::Client::new());
        Validator {
            issuers: vec![TrustedIssuer::new(config, vec![AUDIENCE.into()], keys)],
            leeway: Duration::from_secs(30),
            impersonate: false,
            cache: Default::default(),
        }
    }

    fn now() -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
    }

    fn token(claims: Value) -> String {
        let mut base = json!({
            "iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "exp": now() + 300, "iat": now(),
            "scope": "openid mcp", "preferred_username": "alice@example.com", "groups": ["viewers"],
        });
        for (k, v) in claims.as_object().unwrap() {
            if v.is_null() {
                base.as_object_mut().unwrap().remove(k);
            } else {
                base[k] = v.clone();
            }
        }
        encode(&Header::default(), &base, &EncodingKey::from_secret(SECRET)).unwrap()
    }

    fn reason(result: Result<Principal, AuthError>) -> String {
        match result {
            Err(AuthError::Invalid(why)) => why.to_string(),
            other => panic!("expected an invalid token, got {other:?}"),
        }
    }

    fn impersonating(naming: KubeNaming) -> Validator {
        let mut validator = validator(&[]);
        validator.impersonate = true;
        validator.issuers[0].config.naming = naming;
        validator
    }

    fn naming(claim: &str, user_prefix: &str, group_prefix: &str) -> KubeNaming {
        KubeNaming {
            user_claim: claim.into(),
            user_prefix: user_prefix.into(),
            group_prefix: group_prefix.into(),
        }
    }

    #[tokio::test]
    async fn impersonated_users_are_sub_behind_their_issuer() {
        let mapping = impersonating(naming("sub", &format!("{ISSUER}#"), ""));
        let principal = mapping.validate(&token(json!({}))).await.unwrap();
        let impersonated = principal.impersonated.unwrap();
        assert_eq!(impersonated.user, format!("{ISSUER}#alice"));
        assert_eq!(impersonated.groups, vec!["viewers"]);
        // Not impersonating: nothing is mapped or refused.
        let plain = validator(&[])
            .validate(&token(json!({"groups": ["system:masters"]})))
            .await
            .unwrap();
        assert_eq!(plain.impersonated, None);
    }

    #[tokio::test]
    async fn system_users_and_groups_are_never_impersonated() {
        let refused = |result: Result<Principal, AuthError>| match result {
            Err(AuthError::Refused(why)) => why.to_string(),
            other => panic!("expected a refusal, got {other:?}"),
        };
        let by_name = impersonating(naming("preferred_username", "", ""));
        let why = refused(
            by_name
                .validate(&token(
                    json!({"preferred_username": "system:kube-controller-manager"}),
                ))
                .await,
        );
        assert!(why.contains("'system:kube-controller-manager'"), "{why}");
        let why = refused(
            by_name
                .validate(&token(json!({"groups": ["viewers", "system:masters"]})))
                .await,
        );
        assert!(why.contains("group 'system:masters'"), "{why}");
        // A group prefix keeps the IdP's names away from the system's.
        let prefixed = impersonating(naming("sub", "idp#", "idp:"));
        let principal = prefixed
            .validate(&token(json!({"groups": ["system:masters"]})))
            .await
            .unwrap();
        assert_eq!(
            principal.impersonated.unwrap().groups,
            vec!["idp:system:masters"]
        );
    }

    #[tokio::test]
    async fn an_email_user_must_be_verified() {
        let by_email = impersonating(naming("email", "", ""));
        let unverified = json!({"email": "alice@example.com", "email_verified": false});
        let why = reason(by_email.validate(&token(unverified)).await);
        assert!(why.contains("email_verified is not true"), "{why}");
        let missing = reason(
            by_email
                .validate(&token(json!({"email": "alice@example.com"})))
                .await,
        );
        assert!(missing.contains("email_verified"), "{missing}");
        let verified = json!({"email": "alice@example.com", "email_verified": true});
        let principal = by_email.validate(&token(verified)).await.unwrap();
        assert_eq!(principal.impersonated.unwrap().user, "alice@example.com");
        let none = reason(by_email.validate(&token(json!({}))).await);
        assert!(none.contains("no 'email' claim"), "{none}");
    }

    #[tokio::test]
    async fn id_tokens_are_refused() {
        let v = validator(&[]);
        for (claims, marker) in [
            (json!({"at_hash": "x1"}), "'at_hash' claim"),
            (json!({"c_hash": "x1"}), "'c_hash' claim"),
            (json!({"typ": "ID"}), "'typ': 'ID'"),
        ] {
            let why = reason(v.validate(&token(claims)).await);
            assert!(why.contains("ID token") && why.contains(marker), "{why}");
        }
        // Keycloak's access tokens say typ Bearer.
        v.validate(&token(json!({"typ": "Bearer"}))).await.unwrap();
    }

    #[tokio::test]
    async fn a_token_only_for_the_client_must_look_like_an_access_token() {
        let mut v = validator(&[]);
        let issuer = v.issuers.remove(0);
        let mut audiences = issuer.audiences.clone();
        audiences.push("mcp-cli".into());
        let issuer = TrustedIssuer::new(issuer.config, audiences, issuer.keys)
            .with_client_id(Some("mcp-cli".into()));
        v.issuers.push(issuer);
        // node-oidc-provider's ID token: sub, aud, iss, iat, exp and nothing else.
        let id =
            json!({"aud": "mcp-cli", "scope": null, "preferred_username": null, "groups": null});
        let why = reason(v.validate(&token(id)).await);
        assert!(
            why.contains("only accepted audience is the client ID 'mcp-cli'"),
            "{why}"
        );
        // An Entra ID style access token for the app: aud is the client ID, with scp.
        v.validate(&token(
            json!({"aud": "mcp-cli", "scope": null, "scp": "user_impersonation"}),
        ))
        .await
        .unwrap();
        // A token for this resource needs no mark.
        v.validate(&token(json!({"scope": null}))).await.unwrap();
    }

    #[tokio::test]
    async fn a_good_token_gives_the_principal() {
        let principal = validator(&["mcp"])
            .validate(&token(json!({})))
            .await
            .unwrap();
        assert_eq!(principal.subject(), "alice");
        assert_eq!(principal.username.as_deref(), Some("alice@example.com"));
        assert_eq!(principal.groups, vec!["viewers"]);
        assert_eq!(principal.scopes, vec!["openid", "mcp"]);
        assert!(principal.claim_has("groups", "viewers"));
    }

    #[tokio::test]
    async fn each_bad_claim_is_named() {
        let v = validator(&[]);
        let check = async |claims: Value, expected: &str| {
            let why = reason(v.validate(&token(claims)).await);
            assert!(why.contains(expected), "{why}");
        };
        check(json!({"exp": now() - 3600}), "expired").await;
        check(json!({"aud": "https://other"}), "audience is not accepted").await;
        check(
            json!({"iss": "https://evil"}),
            "issuer 'https://evil' is not trusted",
        )
        .await;
        check(json!({"nbf": now() + 3600}), "not valid yet").await;
        check(json!({"iat": now() + 3600}), "issued in the future").await;
        check(json!({"sub": null}), "no 'sub' claim").await;
        check(json!({"aud": null}), "no 'aud' claim").await;
    }

    #[tokio::test]
    async fn unsigned_tampered_and_odd_typed_tokens_are_refused() {
        let v = validator(&[]);
        let good = token(json!({}));
        let (_, rest) = good.split_once('.').unwrap();
        let none = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
            rest.rsplit_once('.').unwrap().0
        ) + ".";
        let rejection = |result: Result<Principal, AuthError>| match result {
            Err(AuthError::Invalid(rejection)) => rejection,
            other => panic!("expected a rejection, got {other:?}"),
        };
        assert_eq!(rejection(v.validate(&none).await), Rejection::Unsigned);
        // Another payload under the original signature.
        let parts: Vec<&str> = good.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(
            json!({"iss": ISSUER, "aud": AUDIENCE, "sub": "mallory", "exp": now() + 300})
                .to_string(),
        );
        let tampered = format!("{}.{forged}.{}", parts[0], parts[2]);
        assert_eq!(
            rejection(v.validate(&tampered).await),
            Rejection::BadSignature
        );
        let header = Header {
            typ: Some("id+jwt".into()),
            ..Header::default()
        };
        let id_token = encode(
            &header,
            &json!({"iss": ISSUER}),
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap();
        assert_eq!(
            rejection(v.validate(&id_token).await),
            Rejection::NotAccessTokenType("id+jwt".into())
        );
        assert_eq!(
            rejection(v.validate("not-a-token").await),
            Rejection::NotAJwt
        );
        // The words the caller reads stay as they were.
        assert_eq!(
            Rejection::NotAccessTokenType("id+jwt".into()).to_string(),
            "token type 'id+jwt' is not an access token (at+jwt or JWT)"
        );
    }

    /// `iss` must be the configured issuer exactly (RFC 8725 §3.8, OIDC
    /// Core §3.1.3.7): no added or removed trailing slash.
    #[tokio::test]
    async fn the_issuer_must_match_exactly() {
        let v = validator(&[]);
        let why = reason(
            v.validate(&token(json!({"iss": format!("{ISSUER}/")})))
                .await,
        );
        assert_eq!(
            why,
            "issuer 'https://idp.example.com/' is not trusted (the configured issuer \
             'https://idp.example.com' differs from it only by a trailing slash: they must match \
             exactly)"
        );
        assert!(v.validate(&token(json!({}))).await.is_ok());

        let mut with_path = validator(&[]);
        with_path.issuers[0].config.issuer = "https://kc.example.com/realms/a".into();
        with_path.issuers[0].config.issuer_url = "https://kc.example.com/realms/a".parse().unwrap();
        let iss = |iss: &str| token(json!({"iss": iss}));
        assert!(
            with_path
                .validate(&iss("https://kc.example.com/realms/a"))
                .await
                .is_ok()
        );
        assert!(
            reason(
                with_path
                    .validate(&iss("https://kc.example.com/realms/a/"))
                    .await
            )
            .starts_with("issuer 'https://kc.example.com/realms/a/' is not trusted")
        );
    }

    /// A JWS whose header marks extensions critical must be refused unless
    /// they are understood (RFC 7515 §4.1.11); this server understands none.
    #[tokio::test]
    async fn critical_header_extensions_are_refused() {
        let v = validator(&[]);
        let good = token(json!({}));
        let payload = good.split('.').nth(1).unwrap();
        for header in [
            json!({"alg": "HS256", "typ": "JWT", "crit": ["exp-policy"], "exp-policy": "strict"}),
            json!({"alg": "HS256", "typ": "JWT", "crit": []}),
            json!({"alg": "HS256", "typ": "JWT", "crit": "b64"}),
        ] {
            let signed = format!("{}.{payload}", URL_SAFE_NO_PAD.encode(header.to_string()));
            let signature = jsonwebtoken::crypto::sign(
                signed.as_bytes(),
                &EncodingKey::from_secret(SECRET),
                Algorithm::HS256,
            )
            .unwrap();
            let why = reason(v.validate(&format!("{signed}.{signature}")).await);
            assert_eq!(
                why,
                format!(
                    "the token's header marks parameters critical ('crit': {}) that this \
                     server does not understand",
                    header["crit"]
                )
            );
        }
        assert!(v.validate(&good).await.is_ok(), "without crit it passes");
    }

    #[tokio::test]
    async fn verified_tokens_are_remembered_until_their_expiry_at_most() {
        let v = validator(&[]);
        let good = token(json!({}));
        let first = v.validate(&good).await.unwrap();
        assert_eq!(v.validate(&good).await.unwrap(), first);
        let cache = VerifiedCache::default();
        let mut expired = first.clone();
        expired.claims.insert("exp".into(), json!(now() - 1));
        cache.insert([1; 32], &expired);
        assert_eq!(
            cache.get(&[1; 32]),
            None,
            "an expired token is never served from the cache"
        );
        cache.insert([2; 32], &first);
        assert_eq!(cache.get(&[2; 32]), Some(first));
        // A tampered copy has another digest and is verified in full.
        assert!(v.validate(&format!("{good}x")).await.is_err());
    }

    #[tokio::test]
    async fn missing_scopes_are_forbidden_not_unauthenticated() {
        let result = validator(&["mcp", "k8s:read"])
            .validate(&token(json!({})))
            .await;
        assert_eq!(
            result.unwrap_err(),
            AuthError::InsufficientScope {
                required: vec!["mcp".into(), "k8s:read".into()],
                missing: vec!["k8s:read".into()],
            }
        );
    }
}
