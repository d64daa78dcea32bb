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
/// of Helm's base64) or a ConfigMap's `data.release`, by the driver that
/// wrote it (a List's items carry no `kind`).
pub fn encoded_release(object: &Value, driver: Driver) -> Result<String, String> {
    let data = object
        .pointer("/data/release")
        .and_then(Value::as_str)
        .ok_or("it has no data.release")?;
    if driver == Driver::ConfigMap {
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

    #[test]
    fn a_record_decodes_from_secret_or_configmap_gzip_or_not() {
        let release =
            serde_json::json!({"name": "web", "version": 3, "info": {"status": "deployed"}});
        let helm = encode(&release);
        // Items of a List carry no kind: the driver says what they are.
        let secret = serde_json::json!({"data": {"release": STANDARD.encode(&helm)}});
        let read = |o: &Value, d| decode(&encoded_release(o, d).unwrap()).unwrap();
        assert_eq!(read(&secret, Driver::Secret), release);
        let configmap = serde_json::json!({"data": {"release": helm}});
        assert_eq!(read(&configmap, Driver::ConfigMap), release);
        let plain = STANDARD.encode(release.to_string());
        assert_eq!(decode(&plain).unwrap(), release);
    }

    #[test]
    fn corrupt_records_say_what_is_wrong() {
        assert!(decode("%%%").unwrap_err().contains("not base64"));
        let truncated = &STANDARD
            .decode(encode(&serde_json::json!({"name": "x"})))
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

/// Helm's encoding of a release: JSON, gzip'd, base64 (what a record's
/// `release` holds before a Secret's own base64).
pub fn encode(release: &Value) -> String {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(release.to_string().as_bytes())
        .expect("writing to memory");
    STANDARD.encode(gz.finish().expect("writing to memory"))
}

/// Where Helm keeps its records: its Secret driver (the default) or its
/// ConfigMap driver (`HELM_DRIVER=configmap`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Driver {
    Secret,
    ConfigMap,
}

impl Driver {
    /// The driver the operator chose (`plugins.overrides.helm.settings.
    /// driver`: `secret` or `configmap`), as `HELM_DRIVER` chooses it.
    pub fn from_setting(setting: Option<&str>) -> Result<Driver, String> {
        match setting {
            None | Some("secret" | "secrets") => Ok(Driver::Secret),
            Some("configmap" | "configmaps") => Ok(Driver::ConfigMap),
            Some(other) => Err(format!(
                "plugins.overrides.helm.settings.driver is '{other}': use secret or configmap"
            )),
        }
    }

    /// The resource its records are: `secrets` or `configmaps`.
    pub fn resource(self) -> &'static str {
        match self {
            Driver::Secret => "secrets",
            Driver::ConfigMap => "configmaps",
        }
    }
}

/// The record Helm's `driver` writes for `release`, as a manifest: named
/// `sh.helm.release.v1.<name>.v<revision>`, labelled as Helm labels it
/// (`modifiedAt` in seconds since the epoch).
pub fn object(release: &Value, modified_at: u64, driver: Driver) -> Value {
    let mut object = secret(release, modified_at);
    if driver == Driver::ConfigMap {
        let map = object.as_object_mut().expect("an object");
        map.remove("type");
        map.insert("kind".into(), "ConfigMap".into());
        map.insert(
            "data".into(),
            serde_json::json!({"release": encode(release)}),
        );
    }
    object
}

/// The Secret Helm's Secret driver writes for `release`.
fn secret(release: &Value, modified_at: u64) -> Value {
    let name = release["name"].as_str().unwrap_or("");
    let revision = release["version"].as_i64().unwrap_or(0);
    let status = release["info"]["status"].as_str().unwrap_or("");
    serde_json::json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "helm.sh/release.v1",
        "metadata": {
            "name": format!("sh.helm.release.v1.{name}.v{revision}"),
            "namespace": release["namespace"],
            "labels": {
                "name": name,
                "owner": "helm",
                "status": status,
                "version": revision.to_string(),
                "modifiedAt": modified_at.to_string(),
            },
        },
        "data": {"release": STANDARD.encode(encode(release))},
    })
}

/// Now, as Go marshals a UTC time (RFC 3339 with nanoseconds, trailing
/// zeros dropped), and in seconds since the epoch.
pub fn now() -> (String, u64) {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    (
        rfc3339(since.as_secs(), since.subsec_nanos()),
        since.as_secs(),
    )
}

/// `2026-12-05T17:13:12.648667728Z` of a Unix time.
pub fn rfc3339(seconds: u64, nanos: u32) -> String {
    let days = (seconds / 86_400) as i64;
    let rest = seconds % 86_400;
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let fraction = format!("{nanos:09}");
    let fraction = fraction.trim_end_matches('0');
    let fraction = if fraction.is_empty() {
        String::new()
    } else {
        format!(".{fraction}")
    };
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}{fraction}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod writing {
    use super::*;

    #[test]
    fn a_written_record_reads_back_and_is_named_and_labelled_as_helm_does() {
        let release = serde_json::json!({"name": "web", "namespace": "demo", "version": 4, "info": {"status": "deployed"}});
        for driver in [Driver::Secret, Driver::ConfigMap] {
            let object = object(&release, 1_796_490_792, driver);
            assert_eq!(object["metadata"]["name"], "sh.helm.release.v1.web.v4");
            assert_eq!(object["metadata"]["labels"]["status"], "deployed");
            assert_eq!(object["metadata"]["labels"]["version"], "4");
            assert_eq!(
                decode(&encoded_release(&object, driver).unwrap()).unwrap(),
                release
            );
        }
        assert_eq!(object(&release, 0, Driver::ConfigMap)["kind"], "ConfigMap");
        assert!(
            Driver::from_setting(Some("sql"))
                .unwrap_err()
                .contains("use secret or configmap")
        );
    }

    #[test]
    fn unix_times_are_written_as_go_marshals_them() {
        assert_eq!(
            rfc3339(1_796_490_792, 648_667_728),
            "2026-12-05T17:13:12.648667728Z"
        );
        assert_eq!(rfc3339(0, 0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400, 500_000_000), "2000-02-29T00:00:00.5Z");
    }
}
