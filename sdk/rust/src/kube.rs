//! Conveniences over the generated `kubernetes` types.

use crate::kubernetes::{ApiStatus, Error, ResourceType};

impl ResourceType {
    /// The resource `resource` of `api_version` (`v1`, `apps/v1`).
    pub fn new(api_version: &str, resource: &str) -> ResourceType {
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        ResourceType {
            group: group.into(),
            version: version.into(),
            resource: resource.into(),
        }
    }

    /// `v1` or `apps/v1`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

impl Error {
    /// One line for a model or a user: the kind of failure and the API
    /// server's (or the host's) own words. (The generated `Display` is the
    /// `Debug` form.)
    pub fn message(&self) -> String {
        use std::fmt::Write;
        let mut f = String::new();
        let status =
            |f: &mut String, s: &ApiStatus| write!(f, "{} ({}): {}", s.reason, s.code, s.message);
        match self {
            Error::NotFound(s)
            | Error::Forbidden(s)
            | Error::Conflict(s)
            | Error::Invalid(s)
            | Error::Unauthorized(s)
            | Error::Timeout(s)
            | Error::Other(s) => status(&mut f, s),
            Error::Unavailable(m) => write!(&mut f, "the cluster is unavailable: {m}"),
            Error::BadRequest(m) => write!(&mut f, "bad request: {m}"),
            Error::DeniedByGrant(d) => write!(
                &mut f,
                "denied by grant: {} on {}{}{} is not allowed for this plugin ({})",
                d.verb,
                if d.group.is_empty() { "" } else { &d.group },
                if d.group.is_empty() { "" } else { "/" },
                match &d.namespace {
                    Some(ns) => format!("{} in namespace {ns}", d.resource),
                    None => d.resource.clone(),
                },
                d.reason
            ),
        }
        .expect("writing to a String cannot fail");
        f
    }
}
