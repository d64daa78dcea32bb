//! `tracing.*`: where spans go, if anywhere.

use super::error::{ConfigError, parse};
use super::settings::Layer;
pub use crate::traces::TracingConfig;

pub(super) fn tracing_section(layer: &mut Layer) -> Result<TracingConfig, ConfigError> {
    let otlp_endpoint = parse(layer.otlp_endpoint.take(), |u| {
        let url = url::Url::parse(u).map_err(|e| format!("'{u}' is not a URL: {e}"))?;
        match url.scheme() {
            "http" | "https" => Ok(url),
            other => Err(format!(
                "'{u}' must be an http or https URL (OTLP/HTTP), not {other}"
            )),
        }
    })?
    .map(|u| u.value);
    let service_name = parse(layer.trace_service_name.take(), |n| {
        if n.trim().is_empty() {
            Err("must not be empty".to_owned())
        } else {
            Ok(n.to_owned())
        }
    })?
    .map_or_else(|| "kube-mcp".to_owned(), |n| n.value);
    let sample_ratio = parse(layer.trace_sample_ratio.take(), |r| {
        match r.parse::<f64>() {
            Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
            _ => Err(format!("'{r}' is not a ratio from 0 to 1")),
        }
    })?
    .map_or(1.0, |r| r.value);
    Ok(TracingConfig {
        otlp_endpoint,
        service_name,
        sample_ratio,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(yaml: &str) -> Result<TracingConfig, String> {
        let mut layer = crate::config::file::parse(yaml, std::path::Path::new("c.yaml"))
            .map_err(|e| e.to_string())?;
        tracing_section(&mut layer).map_err(|e| e.to_string())
    }

    #[test]
    fn tracing_is_off_unless_an_endpoint_is_given() {
        assert_eq!(section("{}").unwrap(), TracingConfig::default());
        assert!(TracingConfig::default().otlp_endpoint.is_none());
        let on = section(
            "tracing: {otlpEndpoint: 'http://otel:4318', serviceName: mcp-a, sampleRatio: 0.25}",
        )
        .unwrap();
        assert_eq!(on.otlp_endpoint.unwrap().as_str(), "http://otel:4318/");
        assert_eq!(on.service_name, "mcp-a");
        assert_eq!(on.sample_ratio, 0.25);
    }

    #[test]
    fn bad_tracing_values_name_their_key() {
        for (yaml, key, why) in [
            (
                "tracing: {otlpEndpoint: 'otel:4318'}",
                "tracing.otlpEndpoint",
                "http or https",
            ),
            (
                "tracing: {otlpEndpoint: 'not a url'}",
                "tracing.otlpEndpoint",
                "not a URL",
            ),
            (
                "tracing: {sampleRatio: 2}",
                "tracing.sampleRatio",
                "from 0 to 1",
            ),
            (
                "tracing: {serviceName: ' '}",
                "tracing.serviceName",
                "empty",
            ),
        ] {
            let error = section(yaml).unwrap_err();
            assert!(
                error.contains(key) && error.contains(why),
                "{yaml}: {error}"
            );
        }
    }
}
