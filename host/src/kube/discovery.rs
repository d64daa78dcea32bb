//! Which resource types the API server offers, cached.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::Request;
use serde_json::Value;

use super::errors::api_error;
use crate::wit::kubernetes::{ApiResource, ApiStatus, Error, ResourceType};

/// How long discovery is reused: CRDs added meanwhile appear after this.
const TTL: Duration = Duration::from_secs(60);

pub struct Discovery {
    client: kube::Client,
    cache: tokio::sync::Mutex<Option<(Instant, Arc<Vec<ApiResource>>)>>,
}

impl Discovery {
    pub fn new(client: kube::Client) -> Discovery {
        Discovery {
            client,
            cache: tokio::sync::Mutex::new(None),
        }
    }

    async fn get(&self, path: &str) -> Result<Value, Error> {
        let request = Request::get(path).body(Vec::new()).expect("a GET request");
        let text = self.client.request_text(request).await.map_err(api_error)?;
        serde_json::from_str(&text).map_err(|e| {
            Error::Other(ApiStatus {
                code: 500,
                reason: "InternalError".into(),
                message: format!("discovery at {path} is not JSON: {e}"),
            })
        })
    }

    /// Every resource type (subresources included, as `pods/log`).
    pub async fn resources(&self) -> Result<Vec<ApiResource>, Error> {
        Ok(self.cached().await?.as_ref().clone())
    }

    async fn cached(&self) -> Result<Arc<Vec<ApiResource>>, Error> {
        let mut cache = self.cache.lock().await;
        if let Some((at, resources)) = &*cache
            && at.elapsed() < TTL
        {
            return Ok(resources.clone());
        }
        let mut resources = Vec::new();
        self.add(&mut resources, "", "v1", "/api/v1").await?;
        let groups = self.get("/apis").await?;
        for group in groups["groups"].as_array().into_iter().flatten() {
            let name = group["name"].as_str().unwrap_or_default();
            for version in group["versions"].as_array().into_iter().flatten() {
                let version = version["version"].as_str().unwrap_or_default();
                // A group version that fails (an aggregated API that is
                // down) must not hide all the others.
                if let Err(e) = self
                    .add(
                        &mut resources,
                        name,
                        version,
                        &format!("/apis/{name}/{version}"),
                    )
                    .await
                {
                    tracing::warn!(
                        group = name,
                        version,
                        "skipping an API group version in discovery: {e:?}"
                    );
                }
            }
        }
        let resources = Arc::new(resources);
        *cache = Some((Instant::now(), resources.clone()));
        Ok(resources)
    }

    async fn add(
        &self,
        into: &mut Vec<ApiResource>,
        group: &str,
        version: &str,
        path: &str,
    ) -> Result<(), Error> {
        let list = self.get(path).await?;
        let strings = |v: &Value| -> Vec<String> {
            v.as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        };
        for r in list["resources"].as_array().into_iter().flatten() {
            into.push(ApiResource {
                type_: ResourceType {
                    group: group.to_owned(),
                    version: version.to_owned(),
                    resource: r["name"].as_str().unwrap_or_default().to_owned(),
                },
                kind: r["kind"].as_str().unwrap_or_default().to_owned(),
                namespaced: r["namespaced"].as_bool().unwrap_or(false),
                verbs: strings(&r["verbs"]),
                short_names: strings(&r["shortNames"]),
                categories: strings(&r["categories"]),
            });
        }
        Ok(())
    }

    /// Refuses a namespace for a cluster-scoped type, and a missing one for
    /// a namespaced type, before the request goes out.
    pub async fn check_scope(&self, t: &ResourceType, has_namespace: bool) -> Result<(), Error> {
        let resources = self.cached().await?;
        let Some(found) = resources.iter().find(|r| r.type_ == *t) else {
            return Ok(());
        };
        match (found.namespaced, has_namespace) {
            (true, false) => Err(Error::BadRequest(format!(
                "{} are namespaced: give a namespace",
                t.resource
            ))),
            (false, true) => Err(Error::BadRequest(format!(
                "{} are cluster-scoped: give no namespace",
                t.resource
            ))),
            _ => Ok(()),
        }
    }
}
