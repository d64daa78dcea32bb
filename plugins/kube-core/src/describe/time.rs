//! Ages, as `kubectl` writes them: `45s`, `12m`, `5h`, `3d`.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the epoch of an RFC 3339 time as the API server writes
/// it (`2026-12-05T10:22:27Z`, optionally with fractions or an offset).
pub fn parse(timestamp: &str) -> Option<i64> {
    let b = timestamp.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' {
        return None;
    }
    let num = |from: usize, to: usize| timestamp.get(from..to)?.parse::<i64>().ok();
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    let mut rest = &timestamp[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        rest = fraction.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let hours: i64 = rest.get(1..3)?.parse().ok()?;
            let minutes: i64 = rest.get(4..6)?.parse().ok()?;
            sign * (hours * 3600 + minutes * 60)
        }
    };
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Now, in seconds since the epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// How long ago `timestamp` was, from `now`: `45s`, `12m`, `5h`, `3d`.
pub fn age(timestamp: &str, now: i64) -> Option<String> {
    Some(duration(now - parse(timestamp)?))
}

/// A duration in the largest unit that keeps two digits of sense.
pub fn duration(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        0..120 => format!("{s}s"),
        120..7_200 => format!("{}m", s / 60),
        7_200..172_800 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_server_times_parse() {
        assert_eq!(parse("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse("2026-12-05T10:22:27Z"), Some(1_796_466_147));
        assert_eq!(parse("2026-12-05T10:22:27.123456Z"), Some(1_796_466_147));
        assert_eq!(parse("2026-12-05T11:22:27+01:00"), Some(1_796_466_147));
        assert_eq!(parse("yesterday"), None);
    }

    #[test]
    fn ages_read_like_kubectl() {
        assert_eq!(duration(45), "45s");
        assert_eq!(duration(700), "11m");
        assert_eq!(duration(5 * 3600 + 10), "5h");
        assert_eq!(duration(3 * 86_400), "3d");
        assert_eq!(duration(-5), "0s");
    }
}
