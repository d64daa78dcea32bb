//! `oidc.*`: the issuers whose tokens are accepted, and how they are read.

use std::time::Duration;

use url::Url;

use super::error::{ConfigError, parse};
use super::layer;
use super::origin::{Origin, Sourced};
use super::settings::Layer;
use super::values::{non_empty, parse_bool, parse_duration, parse_http_url, parse_signing_methods};
use crate::auth::issuer::{IssuerConfig, KubeNaming, Secret, SigningAlgorithm, is_loopback};

/// Token validation settings. Consumed by the `auth` module.
#[derive(Debug, Clone)]
pub struct OidcConfig {
    pub client_id: Option<String>,
    /// Which audiences a token may name when an issuer lists none.
    pub audience_mode: AudienceMode,
    /// Scopes advertised to clients (`scopes_supported`).
    pub scopes: Vec<String>,
    /// Clock skew allowed on `exp`, `nbf` and `iat`.
    pub leeway: Duration,
    /// Every trusted issuer: the one of the flags first, then `oidc.issuers`.
    pub issuers: Vec<IssuerConfig>,
}

/// Which `aud` values are accepted from an issuer that lists none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AudienceMode {
    /// This server's resource URLs and the client ID, as the Go server: an
    /// IdP such as Entra ID puts the application's client ID in `aud`.
    #[default]
    Compatible,
    /// Only this server's resource URLs (RFC 8707, as MCP requires): a
    /// token meant for another service sharing the client ID is refused.
    Resource,
}

impl std::str::FromStr for AudienceMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "compatible" => Ok(AudienceMode::Compatible),
            "resource" => Ok(AudienceMode::Resource),
            other => Err(format!(
                "'{other}' is not an audience mode: use compatible or resource"
            )),
        }
    }
}

/// Claims read when a token does not name others.
pub const DEFAULT_USERNAME_CLAIM: &str = "preferred_username";
pub const DEFAULT_GROUPS_CLAIM: &str = "groups";
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(30);

/// `oidc.*`: the issuer of the flags first, then `oidc.issuers`.
pub(super) fn oidc_section(layer: &mut Layer) -> Result<OidcConfig, ConfigError> {
    let signing_methods = match layer.oidc_signing_method.take() {
        Some(list) => list.try_map(|items| parse_signing_methods(&items))?,
        None => Sourced::default_value(vec![SigningAlgorithm::RS256], "oidc.signingMethod"),
    };
    let issuer_as_written = layer
        .oidc_issuer_url
        .as_ref()
        .map(|u| u.value.trim().to_owned());
    let allow_http = parse(layer.oidc_allow_http.take(), parse_bool)?.is_some_and(|b| b.value);
    let issuer_url = parse(layer.oidc_issuer_url.take(), |u| {
        issuer_https(u, allow_http)
    })?;
    let username_claim = parse(layer.oidc_username_claim.take(), non_empty)?
        .map_or_else(|| DEFAULT_USERNAME_CLAIM.to_owned(), |c| c.value);
    let groups_claim = parse(layer.oidc_groups_claim.take(), non_empty)?
        .map_or_else(|| DEFAULT_GROUPS_CLAIM.to_owned(), |c| c.value);
    let inherited_claim = layer
        .impersonation
        .username_claim
        .clone()
        .map(|c| c.try_map(|c| non_empty(&c)))
        .transpose()?
        .map(|c| c.value);
    let mut issuers = Vec::new();
    if issuer_url.is_none()
        && let Some(prefix) = layer
            .impersonation
            .user_prefix
            .as_ref()
            .or(layer.impersonation.group_prefix.as_ref())
    {
        return Err(ConfigError::Invalid {
            origin: prefix.origin.clone(),
            message: "this prefix is for the issuer of oidc.issuerUrl, and none is set; give each of oidc.issuers its own impersonation prefixes"
                .into(),
        });
    }
    if let Some(url) = &issuer_url {
        let issuer = issuer_as_written.clone().unwrap_or_default();
        issuers.push(IssuerConfig {
            allow_http,
            naming: KubeNaming::resolve(
                &issuer,
                layer.impersonation.clone(),
                inherited_claim.as_deref(),
            )?,
            issuer,
            issuer_url: url.value.clone(),
            audiences: layer
                .oidc_audience
                .take()
                .map(|a| a.value)
                .unwrap_or_default(),
            required_scopes: layer
                .oidc_required_scopes
                .take()
                .map(|a| a.value)
                .unwrap_or_default(),
            hs256_secret: read_secret(layer.oidc_hs256_secret_file.take(), &signing_methods)?,
            algorithms: signing_methods.value.clone(),
            username_claim: username_claim.clone(),
            groups_claim: groups_claim.clone(),
        });
    }
    for raw in std::mem::take(&mut layer.access.issuers) {
        issuers.push(issuer(
            raw,
            &signing_methods,
            &username_claim,
            &groups_claim,
            inherited_claim.as_deref(),
        )?);
    }

    for (i, a) in issuers.iter().enumerate() {
        if issuers[..i].iter().any(|b| b.issuer_url == a.issuer_url) {
            return Err(ConfigError::Invalid {
                origin: Origin::Default("oidc.issuers"),
                message: format!("issuer {} is configured twice", a.issuer_url),
            });
        }
    }
    let audience_mode = parse(layer.oidc_audience_mode.take(), str::parse)?;
    if let Some(mode) = &audience_mode
        && mode.value == AudienceMode::Resource
        && let Some(listed) = issuers.iter().find(|i| !i.audiences.is_empty())
    {
        return Err(ConfigError::Invalid {
            origin: mode.origin.clone(),
            message: format!(
                "in resource mode the only audiences are this server's resource URLs, \
                 and issuer {} lists its own ({}); remove one of the two",
                listed.issuer,
                listed.audiences.join(", ")
            ),
        });
    }
    let audience_mode = audience_mode.map_or_else(Default::default, |m| m.value);
    Ok(OidcConfig {
        client_id: parse(layer.oidc_client_id.take(), non_empty)?.map(|c| c.value),
        audience_mode,
        scopes: layer
            .oidc_scopes
            .take()
            .map_or_else(|| vec!["openid".to_owned()], |s| s.value),
        leeway: parse(layer.oidc_leeway.take(), parse_duration)?
            .map_or(DEFAULT_LEEWAY, |d| d.value),
        issuers,
    })
}

fn read_secret(
    file: Option<Sourced<String>>,
    algorithms: &Sourced<Vec<SigningAlgorithm>>,
) -> Result<Option<Secret>, ConfigError> {
    let hs256 = algorithms.value.contains(&SigningAlgorithm::HS256);
    match file {
        None if hs256 => Err(ConfigError::Invalid {
            origin: algorithms.origin.clone(),
            message: "HS256 needs its shared secret in a file: set --oidc-hs256-secret-file \
                      (KUBE_MCP_OIDC_HS256_SECRET_FILE, oidc.hs256SecretFile)"
                .into(),
        }),
        None => Ok(None),
        Some(file) => file
            .try_map(|path| {
                let bytes =
                    std::fs::read(&path).map_err(|e| format!("cannot read '{path}': {e}"))?;
                // A trailing newline from `echo secret > file` is not part of it.
                let trimmed = bytes.trim_ascii_end().to_vec();
                if trimmed.len() < 32 {
                    return Err(format!(
                        "the HS256 secret in '{path}' is {} bytes; use at least 32",
                        trimmed.len()
                    ));
                }
                Ok(Secret(trimmed))
            })
            .map(|s| Some(s.value)),
    }
}

/// One entry of `oidc.issuers`; unset values fall back to the flags'.
fn issuer(
    raw: layer::RawIssuer,
    default_algorithms: &Sourced<Vec<SigningAlgorithm>>,
    username_claim: &str,
    groups_claim: &str,
    inherited_user_claim: Option<&str>,
) -> Result<IssuerConfig, ConfigError> {
    let issuer_url = raw.issuer_url.ok_or_else(|| ConfigError::Invalid {
        origin: raw.at.clone(),
        message: "missing issuerUrl".into(),
    })?;
    let issuer = issuer_url.value.trim().to_owned();
    let allow_http = match raw.allow_http {
        Some(b) => b.try_map(|b| parse_bool(&b))?.value,
        None => false,
    };
    let issuer_url = issuer_url.try_map(|u| issuer_https(&u, allow_http))?.value;
    // Inherited algorithms leave HS256 out: a shared secret belongs to one
    // issuer, so another one must list HS256 with a secret file of its own.
    let algorithms = match raw.signing_method {
        Some(list) => list.try_map(|items| parse_signing_methods(&items))?,
        None => default_algorithms.clone().map(|algs| {
            algs.into_iter()
                .filter(|a| *a != SigningAlgorithm::HS256)
                .collect()
        }),
    };
    let claim = |value: Option<Sourced<String>>, default: &str| -> Result<String, ConfigError> {
        Ok(match value {
            Some(v) => v.try_map(|c| non_empty(&c))?.value,
            None => default.to_owned(),
        })
    };
    Ok(IssuerConfig {
        allow_http,
        naming: KubeNaming::resolve(&issuer, raw.impersonation, inherited_user_claim)?,
        issuer,
        issuer_url,
        audiences: raw.audience.map(|a| a.value).unwrap_or_default(),
        required_scopes: raw.required_scopes.map(|a| a.value).unwrap_or_default(),
        hs256_secret: read_secret(raw.hs256_secret_file, &algorithms)?,
        algorithms: algorithms.value,
        username_claim: claim(raw.username_claim, username_claim)?,
        groups_claim: claim(raw.groups_claim, groups_claim)?,
    })
}

/// An issuer URL: `https`, or `http` on a loopback host (a local IdP) or
/// with `allowHttp` (an in-cluster IdP without TLS, the operator's choice).
/// Keys fetched over plain HTTP can be swapped by anyone on the path.
fn issuer_https(s: &str, allow_http: bool) -> Result<Url, String> {
    let url = parse_http_url(s)?;
    if url.scheme() == "http" && !allow_http && !is_loopback(&url) {
        return Err(format!(
            "'{s}' is plain HTTP: anyone on the network path could replace the issuer's keys; \
             use https, or set allowHttp: true for an in-cluster IdP without TLS"
        ));
    }
    Ok(url)
}
