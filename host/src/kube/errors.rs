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
        kube::Error::HyperError(_) | kube::Error::Service(_) => {
            Error::Unavailable(format!("cannot reach the API server: {}", causes(&error)))
        }
        other => Error::Unavailable(causes(&other)),
    }
}

/// An error and its causes in one line, each said once (`client error
/// (Connect): tcp connect error: Connection refused (os error 111)`).
fn causes(error: &dyn std::error::Error) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !line.contains(&text) {
            line = format!("{line}: {text}");
        }
        source = cause.source();
    }
    line
}
