//! The checks every path segment of an API request passes (names,
//! types, subresources) before the grant check looks at it: whatever a
//! plugin sends, no segment can add, drop or escape another (`/`, `.`,
//! `..`, percent-encoding). Shared by every [`Operation`] and the requests
//! built beside it ([`exec`], [`proxy`]).
//!
//! [`Operation`]: super::Operation
//! [`exec`]: super::exec
//! [`proxy`]: super::proxy

use crate::wit::kubernetes::{Error, ObjectRef, ResourceType};

/// Refuses names that could not be a Kubernetes name and could change the
/// request's path (`/`, `%`, `..`), before the grant check looks at them.
pub(super) fn check_name(what: &str, value: &str) -> Result<(), Error> {
    let bad = value.is_empty()
        || value.len() > 253
        || value == "."
        || value == ".."
        || value.chars().any(|c| {
            c == '/' || c == '%' || c == '?' || c == '#' || c.is_control() || c.is_whitespace()
        });
    if bad {
        return Err(Error::BadRequest(format!(
            "{what} '{}' is not a valid Kubernetes name",
            value.escape_debug()
        )));
    }
    Ok(())
}

pub(super) fn check_type(t: &ResourceType) -> Result<(), Error> {
    let token = |s: &str| {
        !s.is_empty()
            && s.len() <= 253
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
    };
    // A group is a DNS subdomain: dot-separated labels, none empty, so no
    // `.` or `..` segment can reach the path.
    let subdomain = |s: &str| token(s) && s.split('.').all(|label| !label.is_empty());
    if !t.group.is_empty() && !subdomain(&t.group) {
        return Err(Error::BadRequest(format!(
            "API group '{}' is not a valid group name",
            t.group.escape_debug()
        )));
    }
    if !token(&t.version) || t.version.contains('.') {
        return Err(Error::BadRequest(format!(
            "API version '{}' is not a valid version (like v1 or v1beta1)",
            t.version.escape_debug()
        )));
    }
    if !token(&t.resource) || t.resource.contains('.') {
        return Err(Error::BadRequest(format!(
            "resource '{}' is not a plural resource name (like pods or deployments)",
            t.resource.escape_debug()
        )));
    }
    Ok(())
}

/// A subresource is one lowercase word (`status`, `scale`, `eviction`):
/// nothing that could add a path segment or a query.
pub(super) fn check_subresource(sub: &str) -> Result<(), Error> {
    if sub.is_empty() || sub.len() > 63 || !sub.bytes().all(|b| b.is_ascii_lowercase()) {
        return Err(Error::BadRequest(format!(
            "subresource '{}' is not a subresource name (like status, scale or eviction)",
            sub.escape_debug()
        )));
    }
    Ok(())
}

pub(super) fn check_object(o: &ObjectRef) -> Result<(), Error> {
    check_type(&o.type_)?;
    if let Some(ns) = &o.namespace {
        check_name("namespace", ns)?;
    }
    check_name("name", &o.name)
}
