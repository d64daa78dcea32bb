//! Why a configuration cannot be used, naming where the bad value came from.

use std::path::PathBuf;

use super::origin::{Origin, Sourced};
use crate::text::one_line;

/// A configuration that could not be used. Displays as one line.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {}: cannot read it: {source}", .path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("config file {}: {}", .path.display(), one_line(&.source.to_string()))]
    Yaml {
        path: PathBuf,
        #[source]
        source: serde_yaml_ng::Error,
    },
    #[error("config file {}: {}", .path.display(), one_line(.message))]
    File { path: PathBuf, message: String },
    #[error("{origin}: {}", one_line(.message))]
    Invalid { origin: Origin, message: String },
    #[error("{first} and {second} are both set: {message}")]
    Conflict {
        first: Origin,
        second: Origin,
        message: &'static str,
    },
}

impl<T> Sourced<T> {
    /// Applies a fallible conversion, attributing any error to this origin.
    pub fn try_map<U>(
        self,
        f: impl FnOnce(T) -> Result<U, String>,
    ) -> Result<Sourced<U>, ConfigError> {
        let origin = self.origin;
        match f(self.value) {
            Ok(value) => Ok(Sourced::new(value, origin)),
            Err(message) => Err(ConfigError::Invalid { origin, message }),
        }
    }
}

/// Parses a setting that was given, keeping its origin for errors.
pub(super) fn parse<T>(
    value: Option<Sourced<String>>,
    parser: impl FnOnce(&str) -> Result<T, String>,
) -> Result<Option<Sourced<T>>, ConfigError> {
    value.map(|v| v.try_map(|text| parser(&text))).transpose()
}
