//! Helm's release records as Helm writes them: one per revision, a Secret
//! of type `helm.sh/release.v1` (or a ConfigMap, Helm's other driver) named
//! `sh.helm.release.v1.<release>.v<revision>`, labelled `owner=helm`,
//! `name`, `status` and `version`, whose `release` value is the release as
//! JSON, gzip'd, then base64-encoded (and base64 again as Secret data).
//! Helm v3 and v4 write the same format; v4 adds fields (`apply_method`),
//! which are kept as they are.

use std::io::Read;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

/// The gzip magic bytes Helm's encoder leaves at the front.
const GZIP_MAGIC: [u8; 3] = [0x1f, 0x8b, 0x08];

/// The release a record's `release` value holds (already decoded from the
/// Secret's own base64 when it came from a Secret).
pub fn decode(encoded: &str) -> Result<Value, String> {
    let bytes = STANDARD
        .decode(encoded.trim())
        .map_err(|e| format!("its release is not base64: {e}"))?;
    let json = if bytes.starts_with(&GZIP_MAGIC) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .take(64 << 20)
            .read_to_end(&mut out)
            .map_err(|e| format!("its release is not valid gzip: {e}"))?;
        out
    } else {
        bytes
    };
    let release: Value =
        serde_json::from_slice(&json).map_err(|e| format!("its release is not JSON: {e}"))?;
    if !release.is_object() || release.get("name").and_then(Value::as_str).is_none() {
        return Err("its release has no name".into());
    }
    Ok(release)
}

/// The record object's encoded release: a Secret's `data.release` (base64
/// of Helm's base64) or a ConfigMap's `data.release`.
pub fn encoded_release(object: &Value) -> Result<String, String> {
    let data = object
        .pointer("/data/release")
        .and_then(Value::as_str)
        .ok_or("it has no data.release")?;
    if object.get("kind").and_then(Value::as_str) == Some("ConfigMap") {
        return Ok(data.to_owned());
    }
    let inner = STANDARD
        .decode(data)
        .map_err(|e| format!("its data.release is not base64: {e}"))?;
    String::from_utf8(inner).map_err(|_| "its data.release is not text".into())
}

/// One decoded record: the release it holds.
#[derive(Debug, Clone)]
pub struct Record {
    pub release: Value,
}

impl Record {
    pub fn name(&self) -> &str {
        self.str("/name")
    }

    pub fn namespace(&self) -> &str {
        self.str("/namespace")
    }

    pub fn revision(&self) -> i64 {
        self.release
            .get("version")
            .and_then(Value::as_i64)
            .unwrap_or(0)
    }

    pub fn status(&self) -> &str {
        self.str("/info/status")
    }

    /// `shelf-0.1.0`, as Helm shows a chart.
    pub fn chart(&self) -> String {
        format!(
            "{}-{}",
            self.str("/chart/metadata/name"),
            self.str("/chart/metadata/version")
        )
    }

    pub fn app_version(&self) -> &str {
        self.str("/chart/metadata/appVersion")
    }

    pub fn str(&self, pointer: &str) -> &str {
        self.release
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or("")
    }
}

/// Go's `2006-01-02 15:04:05.999999999 -0700 MST` of an RFC 3339 time, as
/// `helm list` writes `updated`. A UTC time's zone is `UTC`; another
/// offset's is the offset (Go writes the local zone's abbreviation, which
/// a record does not carry).
pub fn go_time(rfc3339: &str) -> String {
    let Some((date, rest)) = rfc3339.split_once('T') else {
        return rfc3339.to_owned();
    };
    let split = rest.find(['Z', 'z', '+', '-']).unwrap_or(rest.len());
    let (clock, zone) = rest.split_at(split);
    let (whole, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    let fraction = fraction.trim_end_matches('0');
    let clock = if fraction.is_empty() {
        whole.to_owned()
    } else {
        format!("{whole}.{fraction}")
    };
    let (offset, name) = match zone {
        "" | "Z" | "z" | "+00:00" => ("+0000".to_owned(), "UTC".to_owned()),
        other => {
            let offset = other.replace(':', "");
            (offset.clone(), offset)
        }
    };
    format!("{date} {clock} {offset} {name}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn helm_encode(release: &Value) -> String {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(release.to_string().as_bytes()).unwrap();
        STANDARD.encode(gz.finish().unwrap())
    }

    #[test]
    fn a_record_decodes_from_secret_or_configmap_gzip_or_not() {
        let release =
            serde_json::json!({"name": "web", "version": 3, "info": {"status": "deployed"}});
        let helm = helm_encode(&release);
        let secret =
            serde_json::json!({"kind": "Secret", "data": {"release": STANDARD.encode(&helm)}});
        assert_eq!(decode(&encoded_release(&secret).unwrap()).unwrap(), release);
        let configmap = serde_json::json!({"kind": "ConfigMap", "data": {"release": helm}});
        assert_eq!(
            decode(&encoded_release(&configmap).unwrap()).unwrap(),
            release
        );
        let plain = STANDARD.encode(release.to_string());
        assert_eq!(decode(&plain).unwrap(), release);
    }

    #[test]
    fn corrupt_records_say_what_is_wrong() {
        assert!(decode("%%%").unwrap_err().contains("not base64"));
        let truncated = &STANDARD
            .decode(helm_encode(&serde_json::json!({"name": "x"})))
            .unwrap()[..12];
        assert!(
            decode(&STANDARD.encode(truncated))
                .unwrap_err()
                .contains("not valid gzip")
        );
        assert!(
            decode(&STANDARD.encode("{\"no\": 1}"))
                .unwrap_err()
                .contains("no name")
        );
        assert!(
            decode(&STANDARD.encode("not json"))
                .unwrap_err()
                .contains("not JSON")
        );
    }

    #[test]
    fn times_are_written_as_helm_list_writes_them() {
        assert_eq!(
            go_time("2026-12-05T17:13:12.648667728Z"),
            "2026-12-05 17:13:12.648667728 +0000 UTC"
        );
        assert_eq!(
            go_time("2026-12-05T17:13:12.5000Z"),
            "2026-12-05 17:13:12.5 +0000 UTC"
        );
        assert_eq!(
            go_time("2026-12-05T17:13:12Z"),
            "2026-12-05 17:13:12 +0000 UTC"
        );
        assert_eq!(
            go_time("2026-12-05T18:13:12.1+01:00"),
            "2026-12-05 18:13:12.1 +0100 +0100"
        );
    }
}
