//! The describe text: sections of `key: value` lines and aligned tables,
//! short enough for a model to read whole.

use serde_json::Value;

/// At most this many bytes of a label or annotation value.
const VALUE_CHARS: usize = 100;
/// At most this many labels or annotations.
const MAP_ENTRIES: usize = 16;

/// A describe being written.
#[derive(Default)]
pub struct Doc {
    out: String,
}

impl Doc {
    /// `key: value` at the top level.
    pub fn field(&mut self, key: &str, value: impl AsRef<str>) {
        self.line(0, &format!("{key}: {}", value.as_ref()));
    }

    /// `key: value` when the value is there.
    pub fn field_opt(&mut self, key: &str, value: Option<impl AsRef<str>>) {
        if let Some(value) = value {
            self.field(key, value);
        }
    }

    /// A line indented by `depth` steps.
    pub fn line(&mut self, depth: usize, text: &str) {
        for _ in 0..depth {
            self.out.push_str("  ");
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    /// A section heading (`Containers:`).
    pub fn section(&mut self, title: &str) {
        self.line(0, &format!("{title}:"));
    }

    /// Rows as an aligned table under a header, indented one step.
    pub fn table(&mut self, header: &[&str], rows: &[Vec<String>]) {
        self.table_at(1, header, rows);
    }

    /// Rows as an aligned table under a header, indented `depth` steps.
    pub fn table_at(&mut self, depth: usize, header: &[&str], rows: &[Vec<String>]) {
        let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
        for row in rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let render = |cells: Vec<&str>| {
            let last = cells.len().saturating_sub(1);
            cells
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    if i == last {
                        c.to_string()
                    } else {
                        format!("{c:<width$}", width = widths[i])
                    }
                })
                .collect::<Vec<_>>()
                .join("  ")
        };
        self.line(depth, render(header.to_vec()).trim_end());
        for row in rows {
            self.line(
                depth,
                render(row.iter().map(String::as_str).collect()).trim_end(),
            );
        }
    }

    /// A map of labels or annotations on one line: `k=v, k2=v2`, values
    /// and the number of entries trimmed.
    pub fn map(&mut self, key: &str, map: Option<&Value>) {
        let Some(map) = map.and_then(Value::as_object).filter(|m| !m.is_empty()) else {
            self.field(key, "<none>");
            return;
        };
        let mut entries: Vec<String> = map
            .iter()
            .take(MAP_ENTRIES)
            .map(|(k, v)| {
                format!(
                    "{k}={}",
                    trim(&one_line(v.as_str().unwrap_or_default()), VALUE_CHARS)
                )
            })
            .collect();
        if map.len() > MAP_ENTRIES {
            entries.push(format!("... {} more", map.len() - MAP_ENTRIES));
        }
        self.field(key, entries.join(", "));
    }

    /// The text as written.
    pub fn text(self) -> String {
        self.out
    }

    /// The text, cut at a line boundary within `budget` bytes (saying how
    /// much was left out).
    pub fn finish(self, budget: usize) -> String {
        if self.out.len() <= budget {
            return self.out;
        }
        let mut cut = self.out[..budget].rfind('\n').map_or(0, |i| i + 1);
        while !self.out.is_char_boundary(cut) {
            cut -= 1;
        }
        let left = self.out[cut..].lines().count();
        format!(
            "{}... {left} more lines left out to stay within the answer budget\n",
            &self.out[..cut]
        )
    }
}

/// At most `max` characters of `s`, with `...` when cut.
pub fn trim(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let kept: String = s.chars().take(max.saturating_sub(3)).collect();
    format!("{kept}...")
}

/// `s` on one line (newlines and runs of spaces become one space).
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A JSON scalar as text; objects and arrays as a count of what they hold.
pub fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => trim(&one_line(s), VALUE_CHARS),
        Value::Null => "<none>".into(),
        Value::Object(m) => format!("{{{} fields}}", m.len()),
        Value::Array(a) if a.iter().all(|x| !x.is_object() && !x.is_array()) && a.len() <= 8 => {
            a.iter().map(scalar).collect::<Vec<_>>().join(", ")
        }
        Value::Array(a) => format!("[{} items]", a.len()),
        other => other.to_string(),
    }
}

/// The string at `pointer`, if any.
pub fn str_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_and_budgets_cut_at_lines() {
        let mut doc = Doc::default();
        doc.section("Pods");
        doc.table(
            &["NAME", "READY"],
            &[
                vec!["a".into(), "1/1".into()],
                vec!["longer".into(), "0/1".into()],
            ],
        );
        assert_eq!(
            doc.out,
            "Pods:\n  NAME    READY\n  a       1/1\n  longer  0/1\n"
        );
        let cut = doc.finish(25);
        assert_eq!(
            cut,
            "Pods:\n  NAME    READY\n... 2 more lines left out to stay within the answer budget\n"
        );
    }

    #[test]
    fn maps_and_scalars_stay_short() {
        let mut doc = Doc::default();
        doc.map(
            "Labels",
            Some(&serde_json::json!({"app": "web", "note": "a\nb"})),
        );
        doc.map("Annotations", None);
        assert_eq!(doc.out, "Labels: app=web, note=a b\nAnnotations: <none>\n");
        assert_eq!(scalar(&serde_json::json!(["a", 1])), "a, 1");
        assert_eq!(scalar(&serde_json::json!({"x": 1})), "{1 fields}");
        assert_eq!(trim("abcdef", 5), "ab...");
    }
}
