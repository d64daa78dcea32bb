//! Registry credentials from a Docker config file: what `docker login`
//! writes, and what a Kubernetes image pull Secret holds
//! (`.dockerconfigjson`).

use std::collections::HashMap;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use oci_client::secrets::RegistryAuth;

/// Credentials by registry host; anonymous for the rest.
#[derive(Clone, Default)]
pub struct RegistryCredentials {
    by_registry: HashMap<String, RegistryAuth>,
}

impl std::fmt::Debug for RegistryCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secrets: only which registries have some.
        f.debug_set().entries(self.by_registry.keys()).finish()
    }
}

impl RegistryCredentials {
    /// Reads `path` (`{"auths": {"REGISTRY": {"auth": "base64(user:password)"}}}`,
    /// or `username`/`password`, or `identitytoken`). Credential helpers
    /// (`credsStore`, `credHelpers`) run programs and are not followed.
    pub fn from_file(path: &Path) -> Result<RegistryCredentials, String> {
        let text = std::fs::read(path).map_err(|e| {
            format!(
                "cannot read the registry credentials {}: {e}",
                path.display()
            )
        })?;
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn parse(text: &[u8]) -> Result<RegistryCredentials, String> {
        let value: serde_json::Value =
            serde_json::from_slice(text).map_err(|e| format!("not a Docker config file: {e}"))?;
        let auths = value
            .get("auths")
            .and_then(|a| a.as_object())
            .ok_or("not a Docker config file: it has no \"auths\" object")?;
        let mut by_registry = HashMap::new();
        for (key, entry) in auths {
            let registry = registry_host(key);
            let field = |name: &str| {
                entry
                    .get(name)
                    .and_then(|v| v.as_str())
                    .filter(|s| !s.is_empty())
            };
            let auth = if let Some(token) = field("identitytoken").or(field("registrytoken")) {
                RegistryAuth::Bearer(token.to_owned())
            } else if let (Some(user), Some(password)) = (field("username"), field("password")) {
                RegistryAuth::Basic(user.to_owned(), password.to_owned())
            } else if let Some(encoded) = field("auth") {
                let decoded = STANDARD
                    .decode(encoded.trim())
                    .ok()
                    .and_then(|d| String::from_utf8(d).ok())
                    .ok_or_else(|| format!("auths.{key}.auth is not base64 of user:password"))?;
                let (user, password) = decoded
                    .split_once(':')
                    .ok_or_else(|| format!("auths.{key}.auth is not base64 of user:password"))?;
                RegistryAuth::Basic(user.to_owned(), password.to_owned())
            } else {
                return Err(format!(
                    "auths.{key} has neither auth, username and password, nor identitytoken"
                ));
            };
            by_registry.insert(registry, auth);
        }
        Ok(RegistryCredentials { by_registry })
    }

    /// The credentials for `registry`, anonymous when there are none.
    pub fn for_registry(&self, registry: &str) -> RegistryAuth {
        self.by_registry
            .get(registry)
            .cloned()
            .unwrap_or(RegistryAuth::Anonymous)
    }

    /// The registries credentials were given for.
    pub fn registries(&self) -> impl Iterator<Item = &str> {
        self.by_registry.keys().map(String::as_str)
    }
}

/// `https://ghcr.io/v2/` → `ghcr.io`; Docker Hub's legacy key → `docker.io`.
fn registry_host(key: &str) -> String {
    let host = key
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or_default();
    match host {
        "index.docker.io" | "registry-1.docker.io" => "docker.io".into(),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_credential_shapes_are_read() {
        let creds = RegistryCredentials::parse(
            br#"{"auths": {
                "https://ghcr.io/v2/": {"auth": "dXNlcjpwYXNz"},
                "127.0.0.1:5000": {"username": "bob", "password": "pw"},
                "quay.io": {"identitytoken": "tok"}
            }}"#,
        )
        .unwrap();
        assert_eq!(
            creds.for_registry("ghcr.io"),
            RegistryAuth::Basic("user".into(), "pass".into())
        );
        assert_eq!(
            creds.for_registry("127.0.0.1:5000"),
            RegistryAuth::Basic("bob".into(), "pw".into())
        );
        assert_eq!(
            creds.for_registry("quay.io"),
            RegistryAuth::Bearer("tok".into())
        );
        assert_eq!(creds.for_registry("other.io"), RegistryAuth::Anonymous);
        assert!(!format!("{creds:?}").contains("pass"));
    }

    #[test]
    fn malformed_files_name_the_entry() {
        let err =
            RegistryCredentials::parse(br#"{"auths": {"r.io": {"auth": "!!"}}}"#).unwrap_err();
        assert!(err.contains("auths.r.io.auth"), "{err}");
        let err = RegistryCredentials::parse(br#"{"credsStore": "desktop"}"#).unwrap_err();
        assert!(err.contains("no \"auths\""), "{err}");
    }
}
