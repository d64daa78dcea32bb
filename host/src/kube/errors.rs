//! kube-rs errors as the WIT `error`, keeping the API's own code, reason
//! and message.

use crate::wit::kubernetes::{ApiStatus, Error};

/// An API error, with the API's own code, reason and message.
pub fn api_error(error: kube::Error) -> Error {
    match error {
        kube::Error::Api(status) => {
            let api = ApiStatus {
                code: status.code,
                reason: status.reason.clone(),
                message: status.message.clone(),
            };
            match (status.code, status.reason.as_str()) {
                (404, _) | (_, "NotFound") => Error::NotFound(api),
                (403, _) | (_, "Forbidden") => Error::Forbidden(api),
                (409, _) | (_, "Conflict" | "AlreadyExists") => Error::Conflict(api),
                (422, _) | (400, _) | (_, "Invalid" | "BadRequest") => Error::Invalid(api),
                (401, _) | (_, "Unauthorized") => Error::Unauthorized(api),
                (504, _) | (_, "Timeout" | "ServerTimeout") => Error::Timeout(api),
                _ => Error::Other(api),
            }
        }
        kube::Error::HyperError(_) | kube::Error::Service(_) => Error::Unavailable(format!(
            "cannot reach the API server: {}",
            crate::text::with_causes(&error)
        )),
        other => Error::Unavailable(crate::text::with_causes(&other)),
    }
}
