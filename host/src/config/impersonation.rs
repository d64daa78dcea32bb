//! Who a caller becomes in Kubernetes: each issuer's claim and prefixes.
//!
//! The apiserver's own OIDC authenticator is the model: the user is a claim
//! (`sub` by default) behind a prefix that names the issuer (`<issuer>#`),
//! except for verified `email`, so `alice` of one issuer is never `alice`
//! of another. Prefixes are per issuer and never inherited, and two issuers
//! whose names could meet are refused at start-up.

use super::layer::RawImpersonation;
use super::values::non_empty;
use super::{ConfigError, Origin};
pub use crate::auth::issuer::KubeNaming;

/// The claim that names the Kubernetes user unless configured.
pub const DEFAULT_USER_CLAIM: &str = "sub";

/// A prefix that means "no prefix" (the apiserver's spelling).
const NO_PREFIX: &str = "-";

impl KubeNaming {
    /// The naming of `issuer` from what is written for it; `inherited_claim`
    /// is `kubernetes.impersonation.usernameClaim` (prefixes are never
    /// inherited: another issuer's prefix would merge their users).
    pub fn resolve(
        issuer: &str,
        raw: RawImpersonation,
        inherited_claim: Option<&str>,
    ) -> Result<KubeNaming, ConfigError> {
        let user_claim = match raw.username_claim {
            Some(claim) => claim.try_map(|c| non_empty(&c))?.value,
            None => inherited_claim.unwrap_or(DEFAULT_USER_CLAIM).to_owned(),
        };
        // As the apiserver's flags: empty is unset, `-` is none.
        let prefix = |value: Option<super::Sourced<String>>, default: String| match value {
            Some(p) if p.value == NO_PREFIX => String::new(),
            Some(p) if !p.value.is_empty() => p.value,
            _ => default,
        };
        let default_user_prefix = if user_claim == "email" {
            String::new()
        } else {
            format!("{issuer}#")
        };
        let origin = raw.user_prefix.as_ref().map(|p| p.origin.clone());
        let user_prefix = prefix(raw.user_prefix, default_user_prefix);
        if user_prefix.starts_with("system:") {
            return Err(ConfigError::Invalid {
                origin: origin.unwrap_or(Origin::Default("kubernetes.impersonation.userPrefix")),
                message: format!(
                    "user prefix '{user_prefix}' would make every caller of {issuer} a \
                     Kubernetes system: user"
                ),
            });
        }
        Ok(KubeNaming {
            user_claim,
            user_prefix,
            group_prefix: prefix(raw.group_prefix, String::new()),
        })
    }
}

/// Refuses issuers whose users could be the same Kubernetes user: one's
/// user prefix starts with another's (an empty prefix starts every name).
/// Issuers that name users by verified `email` are exempt, as in the
/// apiserver: an address names one mailbox whoever vouches for it, and an
/// `<issuer>#<sub>` name is no deliverable address.
pub fn check_distinct<'a>(
    issuers: impl IntoIterator<Item = (&'a str, &'a KubeNaming)>,
) -> Result<(), ConfigError> {
    let issuers: Vec<_> = issuers.into_iter().collect();
    for (i, (a, an)) in issuers.iter().enumerate() {
        for (b, bn) in &issuers[..i] {
            let meet = an.user_prefix.starts_with(&bn.user_prefix)
                || bn.user_prefix.starts_with(&an.user_prefix);
            if meet && !an.by_email() && !bn.by_email() {
                return Err(ConfigError::Invalid {
                    origin: Origin::Default("oidc.issuers"),
                    message: format!(
                        "the callers of {b} (user prefix '{}') and of {a} (user prefix '{}') \
                         could become the same Kubernetes user; give each issuer its own \
                         impersonation.userPrefix, none the start of another",
                        bn.user_prefix, an.user_prefix
                    ),
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Sourced;

    fn raw(claim: Option<&str>, user: Option<&str>, group: Option<&str>) -> RawImpersonation {
        let s = |v: Option<&str>| v.map(|v| Sourced::new(v.to_owned(), Origin::Default("test")));
        RawImpersonation {
            username_claim: s(claim),
            user_prefix: s(user),
            group_prefix: s(group),
        }
    }

    #[test]
    fn users_default_to_sub_behind_the_issuer() {
        let naming = KubeNaming::resolve("https://a.example", raw(None, None, None), None).unwrap();
        assert_eq!(naming.user_claim, "sub");
        assert_eq!(naming.user_prefix, "https://a.example#");
        assert_eq!(naming.group_prefix, "");
    }

    #[test]
    fn email_needs_no_prefix_and_dash_means_none() {
        let email = KubeNaming::resolve("https://a", raw(Some("email"), None, None), None).unwrap();
        assert_eq!(email.user_prefix, "");
        let none =
            KubeNaming::resolve("https://a", raw(None, Some("-"), Some("oidc:")), None).unwrap();
        assert_eq!(
            (none.user_prefix.as_str(), none.group_prefix.as_str()),
            ("", "oidc:")
        );
        let inherited =
            KubeNaming::resolve("https://a", raw(None, None, None), Some("upn")).unwrap();
        assert_eq!(inherited.user_claim, "upn");
    }

    #[test]
    fn a_system_prefix_is_refused() {
        let error = KubeNaming::resolve("https://a", raw(None, Some("system:"), None), None)
            .unwrap_err()
            .to_string();
        assert!(error.contains("system: user"), "{error}");
    }

    #[test]
    fn issuers_whose_users_could_meet_are_refused() {
        let naming =
            |issuer, user| KubeNaming::resolve(issuer, raw(None, user, None), None).unwrap();
        let (a, b) = (naming("https://a", None), naming("https://b", None));
        check_distinct([("https://a", &a), ("https://b", &b)]).unwrap();
        let shared = naming("https://b", Some("https://a#"));
        let error = check_distinct([("https://a", &a), ("https://b", &shared)])
            .unwrap_err()
            .to_string();
        assert!(error.contains("same Kubernetes user"), "{error}");
        let none = naming("https://b", Some("-"));
        assert!(check_distinct([("https://a", &a), ("https://b", &none)]).is_err());
        let mail = |i| KubeNaming::resolve(i, raw(Some("email"), None, None), None).unwrap();
        let (ma, mb) = (mail("https://a"), mail("https://b"));
        check_distinct([("https://a", &ma), ("https://b", &mb), ("https://c", &a)]).unwrap();
    }
}
