//! Conveniences over the generated `kubernetes` types.

use crate::kubernetes::{
    self, ApiResource, ApiStatus, ApplyOptions, DeleteOptions, Error, ExecOptions, ListFormat,
    ListOptions, LogOptions, ObjectFormat, Page, PageOptions, PatchOptions, ProxyOptions,
    ProxyResponse, ResourceType,
};
use crate::types::{CallResult, Content};

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

    /// The type of `kind` in `api_version`, as the cluster's discovery says:
    /// `Deployment` (or its plural, `deployments`) in `apps/v1`. The error
    /// is a message for the model.
    pub fn of_kind(api_version: &str, kind: &str) -> Result<ResourceType, String> {
        let resources = kubernetes::api_resources().map_err(|e| e.message())?;
        find_kind(&resources, api_version, kind).ok_or_else(|| {
            format!(
                "the cluster has no kind '{kind}' in apiVersion '{api_version}' \
                 (api_resources_list shows what it has)"
            )
        })
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

/// The type of `kind` (or its plural resource name) in `api_version`
/// among `resources`; subresources never match.
pub fn find_kind(resources: &[ApiResource], api_version: &str, kind: &str) -> Option<ResourceType> {
    find_resource(resources, api_version, kind).map(|r| r.type_.clone())
}

/// What discovery says of `kind` (or its plural resource name, any case)
/// in `api_version`: its type, `Kind`, scope and verbs; subresources never
/// match.
pub fn find_resource<'a>(
    resources: &'a [ApiResource],
    api_version: &str,
    kind: &str,
) -> Option<&'a ApiResource> {
    let wanted = ResourceType::new(api_version, "");
    resources.iter().find(|r| {
        r.type_.group == wanted.group
            && r.type_.version == wanted.version
            && !r.type_.resource.contains('/')
            && (r.kind.eq_ignore_ascii_case(kind) || r.type_.resource == kind.to_lowercase())
    })
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

/// How a list tool writes its answer (its `output` argument).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ListOutput {
    /// The API server's own table: the columns `kubectl get` shows, a
    /// custom resource's printer columns.
    Table,
    /// The objects as YAML.
    Yaml,
    /// The List as compact JSON.
    Json,
}

impl From<ListOutput> for ListFormat {
    fn from(output: ListOutput) -> Self {
        match output {
            ListOutput::Table => ListFormat::Table,
            ListOutput::Yaml => ListFormat::Yaml,
            ListOutput::Json => ListFormat::Json,
        }
    }
}

/// How a get tool writes the object (its `output` argument).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum GetOutput {
    /// YAML, as `kubectl get -o yaml` (the default).
    #[default]
    Yaml,
    /// Compact JSON.
    Json,
}

impl From<GetOutput> for ObjectFormat {
    fn from(output: GetOutput) -> Self {
        match output {
            GetOutput::Yaml => ObjectFormat::Yaml,
            GetOutput::Json => ObjectFormat::Json,
        }
    }
}

/// The JSON Schema of `list-page`'s structured rows: what a list tool
/// declares as its output schema ([`crate::ToolBuilder::list_output`]).
pub const LIST_PAGE_SCHEMA: &str = r#"{"type":"object","properties":{"columns":{"type":"array","description":"The columns of the rows, as the API server names them.","items":{"type":"object","properties":{"name":{"type":"string"},"type":{"type":"string","enum":["string","integer","number","boolean"]}},"required":["name","type"]}},"rows":{"type":"array","description":"One object per item: column name to cell.","items":{"type":"object","additionalProperties":{"type":["string","integer","number","boolean","null"]}}},"continue":{"type":"string","description":"Pass as `continue` to get the items after these."},"remainingItemCount":{"type":"integer","minimum":0,"description":"How many items follow, when the API server knows."}},"required":["columns","rows"]}"#;

impl CallResult {
    /// The result of a list tool: the page's text (and its line about what
    /// follows) for the model, its rows as structured content.
    pub fn page(page: Page) -> CallResult {
        let mut content = vec![Content::text(page.text)];
        if let Some(more) = page.more {
            content.push(Content::text(more));
        }
        CallResult {
            content,
            structured_content: Some(page.structured),
            is_error: false,
        }
    }
}

/// The JSON Schema of [`CallResult::proxied`]'s structured content.
pub const PROXY_RESPONSE_SCHEMA: &str = r#"{"type":"object","properties":{"status":{"type":"integer","description":"The endpoint's HTTP status."},"contentType":{"type":["string","null"]},"body":{"type":"string","description":"The body as text, at most the byte limit."},"truncated":{"type":"boolean","description":"The body was longer than the limit."}},"required":["status","body","truncated"]}"#;

impl CallResult {
    /// The answer of a proxied GET to `target` (`pod demo/web port 8080`):
    /// a line with the status, then the body; an error status of the
    /// endpoint is a tool error that still shows the body. Structured as
    /// [`PROXY_RESPONSE_SCHEMA`].
    pub fn proxied(target: &str, response: ProxyResponse) -> CallResult {
        let kind = response
            .content_type
            .as_deref()
            .map(|t| format!(" ({t})"))
            .unwrap_or_default();
        let mut text = format!("{target} answered HTTP {}{kind}", response.status);
        if response.truncated {
            text.push_str(&format!(
                "; the body is cut at {} bytes (ask for a narrower path or raise limitBytes)",
                response.body.len()
            ));
        }
        text.push('\n');
        text.push_str(&response.body);
        let structured = serde_json::json!({
            "status": response.status,
            "contentType": response.content_type,
            "body": response.body,
            "truncated": response.truncated,
        });
        CallResult {
            content: vec![Content::text(text)],
            structured_content: Some(structured.to_string()),
            is_error: response.status >= 400,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(api_version: &str, plural: &str, kind: &str) -> ApiResource {
        ApiResource {
            type_: ResourceType::new(api_version, plural),
            kind: kind.into(),
            namespaced: true,
            verbs: Vec::new(),
            short_names: Vec::new(),
            categories: Vec::new(),
        }
    }

    #[test]
    fn a_kind_or_its_plural_names_one_type_never_a_subresource() {
        let resources = [
            resource("apps/v1", "deployments/scale", "Scale"),
            resource("apps/v1", "deployments", "Deployment"),
            resource("v1", "configmaps", "ConfigMap"),
        ];
        let found = |v: &str, k: &str| {
            find_kind(&resources, v, k).map(|t| format!("{} {}", t.api_version(), t.resource))
        };
        assert_eq!(
            found("apps/v1", "Deployment").as_deref(),
            Some("apps/v1 deployments")
        );
        assert_eq!(
            found("apps/v1", "deployments").as_deref(),
            Some("apps/v1 deployments")
        );
        assert_eq!(found("apps/v1", "Scale"), None);
        assert_eq!(found("v1", "Deployment"), None);
        assert_eq!(found("v1", "ConfigMap").as_deref(), Some("v1 configmaps"));
    }
}

// The option records are written out whole by the bindings; these defaults
// let a plugin name only what it sets:
// `ListOptions { namespace: Some("demo".into()), ..Default::default() }`.

impl Default for ListOptions {
    /// Every namespace (or cluster-scoped), no selector, the host's limit.
    fn default() -> Self {
        ListOptions {
            namespace: None,
            label_selector: None,
            field_selector: None,
            limit: None,
            continue_token: None,
        }
    }
}

impl Default for PageOptions {
    /// The server's format and answer budget, no wide columns.
    fn default() -> Self {
        PageOptions {
            format: None,
            wide: false,
            budget: None,
        }
    }
}

impl Default for LogOptions {
    /// The only container's whole current log, within the output limit.
    fn default() -> Self {
        LogOptions {
            container: None,
            tail_lines: None,
            since_seconds: None,
            previous: false,
            limit_bytes: None,
        }
    }
}

impl Default for ApplyOptions {
    /// A real apply that does not take fields from other managers.
    fn default() -> Self {
        ApplyOptions {
            dry_run: false,
            force: false,
        }
    }
}

impl Default for PatchOptions {
    /// A real patch of the object itself (no subresource).
    fn default() -> Self {
        PatchOptions {
            dry_run: false,
            subresource: None,
        }
    }
}

impl Default for ExecOptions {
    /// The pod's only container, no stdin, the host's timeout (10 s) and
    /// the plugin's output limit (package 0.1.1).
    fn default() -> Self {
        ExecOptions {
            container: None,
            stdin: None,
            timeout_seconds: None,
            limit_bytes: None,
        }
    }
}

impl Default for ProxyOptions {
    /// The target's default port, no query, the host's timeout (10 s) and
    /// the plugin's output limit (package 0.1.1).
    fn default() -> Self {
        ProxyOptions {
            port: None,
            query: None,
            limit_bytes: None,
            timeout_seconds: None,
        }
    }
}

impl Default for DeleteOptions {
    /// A real delete with the API's default propagation and grace period.
    fn default() -> Self {
        DeleteOptions {
            dry_run: false,
            propagation: None,
            grace_period_seconds: None,
        }
    }
}
