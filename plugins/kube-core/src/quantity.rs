//! Kubernetes quantities (`100m`, `2`, `64Mi`, `1.5G`, `129e6`) as numbers,
//! and back as short text.

/// The quantity in thousandths of its unit (CPU: millicores).
pub fn millicores(q: &str) -> Option<u64> {
    value(q).map(|v| (v * 1000.0).round() as u64)
}

/// The quantity in whole units (memory: bytes).
pub fn bytes(q: &str) -> Option<u64> {
    value(q).map(|v| v.round() as u64)
}

/// The quantity as a number of its unit.
pub fn value(q: &str) -> Option<f64> {
    let q = q.trim();
    let split = q
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(q.len());
    let (number, suffix) = q.split_at(split);
    let number: f64 = number.parse().ok()?;
    let scale = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        e if e.starts_with(['e', 'E']) => 10f64.powi(e[1..].parse().ok()?),
        _ => return None,
    };
    (number >= 0.0).then_some(number * scale)
}

/// Millicores as `kubectl top` writes them: `250m`, `0` when none.
pub fn millicores_text(m: u64) -> String {
    if m == 0 { "0".into() } else { format!("{m}m") }
}

/// Bytes in the largest binary unit that keeps a whole number: `64Mi`.
pub fn bytes_text(b: u64) -> String {
    const UNITS: [(&str, u64); 4] = [
        ("Ti", 1 << 40),
        ("Gi", 1 << 30),
        ("Mi", 1 << 20),
        ("Ki", 1 << 10),
    ];
    if b == 0 {
        return "0".into();
    }
    for (unit, size) in UNITS {
        if b >= size * 10 || (b.is_multiple_of(size) && b >= size) {
            return format!("{}{unit}", b / size);
        }
    }
    b.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_parse_as_the_api_writes_them() {
        assert_eq!(millicores("100m"), Some(100));
        assert_eq!(millicores("2"), Some(2000));
        assert_eq!(millicores("1.5"), Some(1500));
        assert_eq!(millicores("250000n"), Some(0));
        assert_eq!(millicores("12345678n"), Some(12));
        assert_eq!(bytes("64Mi"), Some(64 << 20));
        assert_eq!(bytes("1G"), Some(1_000_000_000));
        assert_eq!(bytes("129e6"), Some(129_000_000));
        assert_eq!(bytes("12Ki"), Some(12 * 1024));
        assert_eq!(bytes("lots"), None);
    }

    #[test]
    fn quantities_print_short() {
        assert_eq!(millicores_text(250), "250m");
        assert_eq!(bytes_text(64 << 20), "64Mi");
        assert_eq!(bytes_text(1_000_000_000), "953Mi");
        assert_eq!(bytes_text(100), "100");
        assert_eq!(bytes_text(0), "0");
    }
}
