//! What the operator says about a trusted token issuer: its URL, accepted
//! audiences and algorithms, claims, and who its callers become in
//! Kubernetes. [`crate::config`] builds these from flags and files.

use std::fmt;
use std::str::FromStr;

use url::Url;

/// One trusted token issuer.
#[derive(Debug, Clone)]
pub struct IssuerConfig {
    /// The issuer as configured, which a token's `iss` must equal exactly
    /// (the URL form below may have gained a trailing slash).
    pub issuer: String,
    pub issuer_url: Url,
    /// Accepted `aud` values; empty means the defaults (the MCP resource
    /// URL, the base URL and the client ID).
    pub audiences: Vec<String>,
    pub required_scopes: Vec<String>,
    pub algorithms: Vec<SigningAlgorithm>,
    /// The HS256 key, from a file; never from a JWKS.
    pub hs256_secret: Option<Secret>,
    pub username_claim: String,
    pub groups_claim: String,
    /// Who its callers become in Kubernetes (impersonate mode).
    pub naming: KubeNaming,
    /// Whether discovery and keys may come over plain HTTP from a host
    /// that is not loopback (the operator's explicit, logged choice).
    pub allow_http: bool,
}

impl IssuerConfig {
    /// `issuer` with every other setting at its default: RS256, the MCP
    /// audiences, no required scope, `preferred_username` and `groups`, and
    /// callers named `<issuer>#<sub>` in Kubernetes.
    pub fn new(issuer: &str) -> Result<IssuerConfig, url::ParseError> {
        Ok(IssuerConfig {
            issuer: issuer.to_owned(),
            issuer_url: issuer.parse()?,
            audiences: Vec::new(),
            required_scopes: Vec::new(),
            algorithms: vec![SigningAlgorithm::RS256],
            hs256_secret: None,
            username_claim: "preferred_username".into(),
            groups_claim: "groups".into(),
            naming: KubeNaming {
                user_claim: "sub".into(),
                user_prefix: format!("{issuer}#"),
                group_prefix: String::new(),
            },
            allow_http: false,
        })
    }
}

/// Key material that must never be printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({} bytes)", self.0.len())
    }
}

/// JWS algorithms a token signature may use. `none` is deliberately absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SigningAlgorithm {
    RS256,
    HS256,
    ES256,
    PS256,
    EdDSA,
}

impl SigningAlgorithm {
    pub const ALL: [SigningAlgorithm; 5] = [
        SigningAlgorithm::RS256,
        SigningAlgorithm::HS256,
        SigningAlgorithm::ES256,
        SigningAlgorithm::PS256,
        SigningAlgorithm::EdDSA,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlgorithm::RS256 => "RS256",
            SigningAlgorithm::HS256 => "HS256",
            SigningAlgorithm::ES256 => "ES256",
            SigningAlgorithm::PS256 => "PS256",
            SigningAlgorithm::EdDSA => "EdDSA",
        }
    }
}

impl fmt::Display for SigningAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SigningAlgorithm {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        // JWS algorithm names are case-sensitive (RFC 7518), but operators
        // type `rs256` often enough that refusing it helps nobody.
        if let Some(alg) = Self::ALL
            .iter()
            .find(|a| a.as_str().eq_ignore_ascii_case(s))
        {
            return Ok(*alg);
        }
        if s.eq_ignore_ascii_case("none") {
            return Err("'none' (unsigned tokens) is never accepted".into());
        }
        Err(format!(
            "unknown signing method '{s}' (expected one of: {})",
            Self::ALL.map(SigningAlgorithm::as_str).join(", ")
        ))
    }
}

/// How one issuer's callers are named in `Impersonate-User` and
/// `Impersonate-Group`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeNaming {
    /// The claim whose value, behind `user_prefix`, is the user.
    pub user_claim: String,
    pub user_prefix: String,
    /// Put before each group of the issuer's groups claim.
    pub group_prefix: String,
}

impl KubeNaming {
    /// Whether the user claim is `email`, which must then be verified.
    pub fn by_email(&self) -> bool {
        self.user_claim == "email"
    }
}

/// Whether a URL's host is this machine (`localhost`, 127.0.0.0/8, `::1`).
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}
