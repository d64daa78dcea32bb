//! The API server's Table rendering of a list (`Accept:
//! application/json;as=Table;v=v1;g=meta.k8s.io`), read without keeping
//! the objects, and written as compact aligned text like `kubectl get`.

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

/// The `Accept` header of a table request. The plain JSON after it is the
/// fallback of APIs that cannot render tables (some aggregated APIs).
pub const ACCEPT_TABLE: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";

/// A list's `metadata`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListMeta {
    pub resource_version: Option<String>,
    #[serde(rename = "continue")]
    pub continue_token: Option<String>,
    pub remaining_item_count: Option<u64>,
}

/// The API server's answer to a table request: a `Table`, or the plain
/// List of an API that cannot render one.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TableResponse {
    pub kind: String,
    #[serde(default)]
    pub column_definitions: Vec<ColumnDefinition>,
    #[serde(default)]
    pub rows: Vec<TableRow>,
    /// Only when the API answered with a plain List.
    #[serde(default)]
    pub items: Vec<PartialObject>,
    #[serde(default)]
    pub metadata: ListMeta,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ColumnDefinition {
    pub name: String,
    #[serde(rename = "type", default)]
    pub type_: String,
    /// Columns above 0 are shown by `kubectl get -o wide` only.
    #[serde(default)]
    pub priority: i32,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TableRow {
    #[serde(default)]
    pub cells: Vec<Value>,
    /// The row's object metadata (`includeObject=Metadata`).
    #[serde(default)]
    pub object: Option<PartialObject>,
}

/// Just the identity of an object; the rest is skipped unparsed.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PartialObject {
    #[serde(default)]
    pub metadata: PartialMeta,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PartialMeta {
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub creation_timestamp: Option<String>,
}

/// A column as the answer shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    /// The JSON type of its cells: string, integer, number or boolean.
    pub json_type: &'static str,
}

impl Column {
    fn new(name: &str, api_type: &str) -> Column {
        Column {
            name: name.to_owned(),
            json_type: match api_type {
                "integer" => "integer",
                "number" => "number",
                "boolean" => "boolean",
                _ => "string",
            },
        }
    }
}

/// A response turned into the columns and rows to show.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Value>>,
    pub metadata: ListMeta,
}

impl Rows {
    /// The columns `kubectl get` shows (all of them when `wide`), with
    /// `Namespace` first when `across_namespaces` and the objects have one.
    pub fn from_response(response: TableResponse, wide: bool, across_namespaces: bool) -> Rows {
        if response.kind != "Table" {
            return Self::from_plain_list(response, across_namespaces);
        }
        let shown: Vec<usize> = (0..response.column_definitions.len())
            .filter(|&i| wide || response.column_definitions[i].priority == 0)
            .collect();
        let namespaced = across_namespaces
            && response.rows.iter().any(|r| {
                r.object
                    .as_ref()
                    .is_some_and(|o| o.metadata.namespace.is_some())
            });
        let mut columns = Vec::with_capacity(shown.len() + 1);
        if namespaced {
            columns.push(Column::new("Namespace", "string"));
        }
        columns.extend(shown.iter().map(|&i| {
            let d = &response.column_definitions[i];
            Column::new(&d.name, &d.type_)
        }));
        let rows = response
            .rows
            .into_iter()
            .map(|row| {
                let mut cells = Vec::with_capacity(columns.len());
                if namespaced {
                    cells.push(
                        row.object
                            .and_then(|o| o.metadata.namespace)
                            .map_or(Value::Null, Value::String),
                    );
                }
                let mut all = row.cells;
                for &i in &shown {
                    cells.push(all.get_mut(i).map(Value::take).unwrap_or(Value::Null));
                }
                cells
            })
            .collect();
        Rows {
            columns,
            rows,
            metadata: response.metadata,
        }
    }

    /// What `kubectl get` shows for an API without tables: name and age
    /// (here the creation time, which does not go stale).
    fn from_plain_list(response: TableResponse, across_namespaces: bool) -> Rows {
        let namespaced = across_namespaces
            && response
                .items
                .iter()
                .any(|o| o.metadata.namespace.is_some());
        let mut columns = Vec::new();
        if namespaced {
            columns.push(Column::new("Namespace", "string"));
        }
        columns.push(Column::new("Name", "string"));
        columns.push(Column::new("Created", "string"));
        let text = |v: Option<String>| v.map_or(Value::Null, Value::String);
        let rows = response
            .items
            .into_iter()
            .map(|o| {
                let mut cells = Vec::with_capacity(3);
                if namespaced {
                    cells.push(text(o.metadata.namespace));
                }
                cells.push(text(o.metadata.name));
                cells.push(text(o.metadata.creation_timestamp));
                cells
            })
            .collect();
        Rows {
            columns,
            rows,
            metadata: response.metadata,
        }
    }
}

/// How a cell reads in the text table.
pub fn cell_text(value: &Value) -> String {
    match value {
        Value::Null => "<none>".into(),
        Value::String(s) if s.is_empty() => "<none>".into(),
        // One row per line, and no cell that breaks the alignment.
        Value::String(s) => s.replace(['\n', '\r', '\t'], " "),
        other => other.to_string(),
    }
}

/// Space between columns.
const GAP: usize = 2;

/// Collects rows into an aligned text table while keeping track of the size
/// it will have, so a row that would overflow the budget is never added.
#[derive(Debug, Default)]
pub struct TableText {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    /// Widest cell of each column so far, in bytes (an upper bound of its
    /// width in characters).
    widths: Vec<usize>,
}

impl TableText {
    pub fn new(columns: &[Column]) -> TableText {
        let header: Vec<String> = columns.iter().map(|c| c.name.to_uppercase()).collect();
        let widths = header.iter().map(String::len).collect();
        TableText {
            header,
            rows: Vec::new(),
            widths,
        }
    }

    /// No rows yet.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The size of the table with `extra` as one more row (an upper bound:
    /// padding counted as if every line were as wide as the widest).
    pub fn size_with(&self, extra: &[String]) -> usize {
        let line: usize = self
            .widths
            .iter()
            .zip(extra)
            .map(|(w, c)| (*w).max(c.len()))
            .sum::<usize>()
            + GAP * self.widths.len().saturating_sub(1)
            + 1;
        line * (self.rows.len() + 2)
    }

    /// The size of the table as it is (the same upper bound).
    pub fn size(&self) -> usize {
        (self.widths.iter().sum::<usize>() + GAP * self.widths.len().saturating_sub(1) + 1)
            * (self.rows.len() + 1)
    }

    pub fn push(&mut self, row: Vec<String>) {
        for (w, c) in self.widths.iter_mut().zip(&row) {
            *w = (*w).max(c.len());
        }
        self.rows.push(row);
    }

    /// The aligned text: a header line, then one line per row.
    pub fn render(&self) -> String {
        let widths: Vec<usize> = (0..self.header.len())
            .map(|i| {
                std::iter::once(&self.header)
                    .chain(&self.rows)
                    .map(|r| r[i].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::with_capacity(self.size());
        for row in std::iter::once(&self.header).chain(&self.rows) {
            let last = row.len().saturating_sub(1);
            for (i, cell) in row.iter().enumerate() {
                out.push_str(cell);
                if i < last {
                    let pad = widths[i] - cell.chars().count() + GAP;
                    out.extend(std::iter::repeat_n(' ', pad));
                }
            }
            out.push('\n');
        }
        out
    }
}

/// A page's structured content: `{"columns": [{"name", "type"}], "rows":
/// [{column name: cell}], "continue"?, "remainingItemCount"?}`, written
/// straight from the cells (no JSON tree per row).
pub struct Structured<'a> {
    pub columns: &'a [Column],
    pub rows: &'a [Vec<Value>],
    pub continue_token: Option<&'a str>,
    pub remaining_item_count: Option<u64>,
}

impl Serialize for Structured<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Columns<'a>(&'a [Column]);
        impl Serialize for Columns<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_seq(self.0.iter().map(|c| {
                    let mut column = std::collections::BTreeMap::new();
                    column.insert("name", c.name.as_str());
                    column.insert("type", c.json_type);
                    column
                }))
            }
        }
        struct Row<'a>(&'a [Column], &'a [Value]);
        impl Serialize for Row<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(Some(self.0.len()))?;
                for (column, cell) in self.0.iter().zip(self.1) {
                    match cell {
                        Value::Null | Value::String(_) | Value::Bool(_) | Value::Number(_) => {
                            map.serialize_entry(&column.name, cell)?
                        }
                        // Cells are scalars in the schema; anything else as text.
                        other => map.serialize_entry(&column.name, &other.to_string())?,
                    }
                }
                map.end()
            }
        }
        struct Rows<'a>(&'a [Column], &'a [Vec<Value>]);
        impl Serialize for Rows<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_seq(self.1.iter().map(|cells| Row(self.0, cells)))
            }
        }
        let fields = 2
            + usize::from(self.continue_token.is_some())
            + usize::from(self.remaining_item_count.is_some());
        let mut map = serializer.serialize_map(Some(fields))?;
        map.serialize_entry("columns", &Columns(self.columns))?;
        map.serialize_entry("rows", &Rows(self.columns, self.rows))?;
        if let Some(token) = self.continue_token {
            map.serialize_entry("continue", token)?;
        }
        if let Some(n) = self.remaining_item_count {
            map.serialize_entry("remainingItemCount", &n)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pods_table() -> TableResponse {
        serde_json::from_value(json!({
            "kind": "Table", "apiVersion": "meta.k8s.io/v1",
            "metadata": {"resourceVersion": "42", "continue": "abc", "remainingItemCount": 7},
            "columnDefinitions": [
                {"name": "Name", "type": "string", "format": "name", "priority": 0, "description": "long words"},
                {"name": "Restarts", "type": "string", "priority": 0},
                {"name": "Node", "type": "string", "priority": 1}
            ],
            "rows": [
                {"cells": ["web-1", "0", "node-a"], "object": {"kind": "PartialObjectMetadata",
                  "metadata": {"name": "web-1", "namespace": "demo", "managedFields": [{"big": true}]}}},
                {"cells": ["db-0", "12", null], "object": {"metadata": {"name": "db-0", "namespace": "shop"}}}
            ]
        }))
        .unwrap()
    }

    #[test]
    fn priority_columns_only_when_wide_and_namespace_across_namespaces() {
        let rows = Rows::from_response(pods_table(), false, true);
        let names: Vec<_> = rows.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["Namespace", "Name", "Restarts"]);
        assert_eq!(
            rows.rows[1],
            vec![json!("shop"), json!("db-0"), json!("12")]
        );
        assert_eq!(rows.metadata.continue_token.as_deref(), Some("abc"));
        assert_eq!(rows.metadata.remaining_item_count, Some(7));

        let wide = Rows::from_response(pods_table(), true, false);
        let names: Vec<_> = wide.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["Name", "Restarts", "Node"]);
        assert_eq!(wide.rows[1][2], Value::Null);
    }

    #[test]
    fn a_plain_list_gets_name_and_creation_time() {
        let response: TableResponse = serde_json::from_value(json!({
            "kind": "MetricsList",
            "items": [{"metadata": {"name": "a", "namespace": "x", "creationTimestamp": "2026-11-30T10:00:00Z"}, "usage": {}}]
        }))
        .unwrap();
        let rows = Rows::from_response(response, false, true);
        let names: Vec<_> = rows.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["Namespace", "Name", "Created"]);
        assert_eq!(rows.rows[0][2], json!("2026-11-30T10:00:00Z"));
    }

    #[test]
    fn text_is_aligned_and_its_size_bounded_before_adding() {
        let rows = Rows::from_response(pods_table(), true, true);
        let mut text = TableText::new(&rows.columns);
        for row in &rows.rows {
            let cells: Vec<String> = row.iter().map(cell_text).collect();
            let bound = text.size_with(&cells);
            text.push(cells);
            assert!(text.render().len() <= bound);
        }
        assert_eq!(
            text.render(),
            "NAMESPACE  NAME   RESTARTS  NODE\n\
             demo       web-1  0         node-a\n\
             shop       db-0   12        <none>\n"
        );
    }

    #[test]
    fn cells_never_break_a_line() {
        assert_eq!(cell_text(&json!("a\nb\tc")), "a b c");
        assert_eq!(cell_text(&json!(3)), "3");
        assert_eq!(cell_text(&json!("")), "<none>");
        let columns = [
            Column::new("Ports", "string"),
            Column::new("Ready", "integer"),
        ];
        let rows = [vec![json!(["80/TCP"]), json!(1)]];
        let structured = Structured {
            columns: &columns,
            rows: &rows,
            continue_token: Some("t"),
            remaining_item_count: Some(3),
        };
        assert_eq!(
            serde_json::to_value(&structured).unwrap(),
            json!({"columns": [{"name": "Ports", "type": "string"}, {"name": "Ready", "type": "integer"}],
                "rows": [{"Ports": "[\"80/TCP\"]", "Ready": 1}], "continue": "t", "remainingItemCount": 3})
        );
    }
}
