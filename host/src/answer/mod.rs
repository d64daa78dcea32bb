//! Answers sized for a model: a Kubernetes list written as the API
//! server's own table, as YAML or as compact JSON, within a byte budget,
//! ending with a continue token that resumes exactly after the last item
//! shown.
//!
//! [`list_page`] reads as many API pages as the budget needs through a
//! [`Source`] (the grant-checked gateway in production, a slice of pages in
//! tests) and writes them. It never fails because a list is big: what does
//! not fit is left for the next call.

pub mod cursor;
pub mod table;

use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Value, json};

pub use self::cursor::{BadToken, Cursor};
use self::table::{Column, ListMeta, Rows, Structured, TableResponse, TableText, cell_text};

/// The default answer budget: 32 KiB of text, about 8k tokens.
pub const DEFAULT_BUDGET: u32 = 32 * 1024;
/// Budgets outside this range are refused by the configuration: below it a
/// page holds too little, above it answers stop fitting a model's context
/// (and approach the plugins' output limit).
pub const BUDGET_RANGE: std::ops::RangeInclusive<u32> = 2 * 1024..=512 * 1024;
/// Kept free for the line about what follows (with its continue token) and
/// the JSON form's envelope.
const RESERVE: usize = 768;
/// Kept free for the JSON form's envelope (`apiVersion`, `kind`, and the
/// continue token again in `metadata`).
const JSON_ENVELOPE: usize = 512;
/// At most this many API requests for one page, so that a selector that
/// matches few items cannot make one call read a whole cluster.
const MAX_REQUESTS: usize = 8;
/// The most items one API request asks for.
pub const MAX_API_LIMIT: u32 = 500;

/// How a list is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ListFormat {
    /// The API server's table, as aligned text.
    #[default]
    Table,
    /// YAML documents.
    Yaml,
    /// The List as compact JSON.
    Json,
}

impl FromStr for ListFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "table" => Ok(ListFormat::Table),
            "yaml" => Ok(ListFormat::Yaml),
            "json" => Ok(ListFormat::Json),
            other => Err(format!(
                "'{other}' is not a list output: use table, yaml or json"
            )),
        }
    }
}

impl fmt::Display for ListFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ListFormat::Table => "table",
            ListFormat::Yaml => "yaml",
            ListFormat::Json => "json",
        })
    }
}

/// The server's defaults for answers (`kubernetes.listOutput`,
/// `kubernetes.answerBudget`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Defaults {
    pub list_format: ListFormat,
    /// Bytes of text an answer may take.
    pub budget: u32,
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults {
            list_format: ListFormat::Table,
            budget: DEFAULT_BUDGET,
        }
    }
}

/// How one object is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectFormat {
    Yaml,
    Json,
}

/// One object as text.
pub fn object_text(object: &Value, format: ObjectFormat) -> String {
    match format {
        ObjectFormat::Json => object.to_string(),
        // A JSON value always has a YAML form.
        ObjectFormat::Yaml => {
            serde_yaml_ng::to_string(object).unwrap_or_else(|_| object.to_string())
        }
    }
}

/// One API request of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub continue_token: Option<String>,
    /// Read at exactly this resource version (the first page, again).
    pub resource_version: Option<String>,
    pub limit: u32,
}

/// One API page: the table (for [`ListFormat::Table`]) or the shaped List.
#[derive(Debug, Clone)]
pub enum ApiPage {
    Table(TableResponse),
    List(Value),
}

/// Where pages come from.
pub trait Source {
    type Error;
    /// Reads one API page, as a table when `table` is set.
    fn fetch(
        &mut self,
        request: PageRequest,
        table: bool,
    ) -> impl Future<Output = Result<ApiPage, Self::Error>> + Send;

    /// Whether `error` says the answer was too big to read, so fewer items
    /// a page may fit.
    fn too_large(_error: &Self::Error) -> bool {
        false
    }
}

/// What to list and how to write it.
#[derive(Debug, Clone)]
pub struct ListRequest {
    pub format: ListFormat,
    /// Tables: the wide columns too.
    pub wide: bool,
    /// Bytes of text the page may take.
    pub budget: u32,
    /// Show at most this many items.
    pub max_items: Option<u32>,
    pub cursor: Cursor,
    /// Listing a namespaced type in every namespace: show the namespace.
    pub across_namespaces: bool,
    /// The answer when nothing is found: `No pods found in namespace demo.`
    pub empty: String,
}

/// One page, written.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub text: String,
    /// The line about what follows, if anything does.
    pub more: Option<String>,
    /// `{"columns", "rows", "continue"?, "remainingItemCount"?}` as JSON
    /// (its schema is the SDKs' `LIST_PAGE_SCHEMA`).
    pub structured: String,
    pub items: u32,
    pub continue_token: Option<String>,
    pub remaining_item_count: Option<u64>,
}

/// Reads and writes one page of a list within its budget.
pub async fn list_page<S: Source>(source: &mut S, request: ListRequest) -> Result<Page, S::Error> {
    let ListRequest {
        format,
        wide,
        budget,
        max_items,
        mut cursor,
        across_namespaces,
        empty,
    } = request;
    let mut writer = Writer::new(format, budget as usize, across_namespaces);
    let mut next = None;
    let mut remaining = None;
    let mut list_head = None;
    // Halved each time an answer is too big to read (huge objects).
    let mut shrunk: Option<u32> = None;
    for _ in 0..MAX_REQUESTS {
        let wanted = max_items.map(|m| m.saturating_sub(writer.items));
        let limit = cursor
            .page_limit
            .unwrap_or_else(|| writer.api_limit(wanted).min(shrunk.unwrap_or(u32::MAX)));
        let fetched = source
            .fetch(
                PageRequest {
                    continue_token: cursor.api_continue.clone(),
                    resource_version: cursor
                        .resource_version
                        .clone()
                        .filter(|_| cursor.api_continue.is_none()),
                    limit,
                },
                format == ListFormat::Table,
            )
            .await;
        let fetched = match fetched {
            // A resumed page must be read with its own limit to resume exactly.
            Err(e) if S::too_large(&e) && cursor.page_limit.is_none() && limit > 1 => {
                shrunk = Some(limit / 2);
                continue;
            }
            other => other?,
        };
        let (count, meta) = match fetched {
            ApiPage::Table(response) => {
                let rows = Rows::from_response(response, wide, across_namespaces);
                let count = rows.rows.len();
                writer.push_rows(rows.columns, rows.rows, cursor.skip as usize, wanted);
                (count, rows.metadata)
            }
            ApiPage::List(list) => {
                let (count, (meta, items), head) = split_list(list);
                let head = list_head.get_or_insert(head);
                writer.push_objects(items, head, cursor.skip as usize, wanted);
                (count, meta)
            }
        };
        let end = (cursor.skip as usize + writer.last_taken).min(count);
        if end < count {
            // Cut inside this API page: the same page, further on.
            remaining = meta
                .remaining_item_count
                .map(|r| r + (count - end) as u64)
                .or_else(|| {
                    meta.continue_token
                        .is_none()
                        .then_some((count - end) as u64)
                });
            next = Some(Cursor {
                resource_version: match &cursor.api_continue {
                    None => meta.resource_version.clone(),
                    Some(_) => None,
                },
                api_continue: cursor.api_continue.take(),
                skip: end as u32,
                page_limit: Some(limit),
            });
            break;
        }
        let Some(api_continue) = meta.continue_token.filter(|t| !t.is_empty()) else {
            next = None;
            break;
        };
        cursor = Cursor {
            api_continue: Some(api_continue),
            ..Cursor::default()
        };
        remaining = meta.remaining_item_count;
        if writer.full() || wanted.is_some_and(|w| writer.last_taken as u32 >= w) {
            next = Some(cursor);
            break;
        }
        next = Some(cursor.clone());
    }
    let token = next.map(|c| c.encode());
    Ok(writer.finish(&empty, token, remaining, list_head))
}

/// A List's size, metadata and items, and its `apiVersion` and `kind`.
type ListParts = (usize, (ListMeta, Vec<Value>), (String, String));

fn split_list(mut list: Value) -> ListParts {
    let items = match list.get_mut("items").map(Value::take) {
        Some(Value::Array(items)) => items,
        _ => Vec::new(),
    };
    let meta: ListMeta = list
        .get_mut("metadata")
        .map(Value::take)
        .and_then(|m| serde_json::from_value(m).ok())
        .unwrap_or_default();
    let text = |key: &str| list[key].as_str().unwrap_or_default().to_owned();
    (
        items.len(),
        (meta, items),
        (text("apiVersion"), text("kind")),
    )
}

/// Accumulates a page's text and rows.
struct Writer {
    format: ListFormat,
    /// Bytes the items may take (the budget less the reserve).
    room: usize,
    across_namespaces: bool,
    columns: Vec<Column>,
    table: Option<TableText>,
    /// YAML documents or JSON objects.
    parts: Vec<String>,
    parts_size: usize,
    /// The cells of each item shown, by `columns`.
    rows: Vec<Vec<Value>>,
    items: u32,
    /// Items taken from the last API page pushed.
    last_taken: usize,
    /// The page stopped because an item did not fit.
    full: bool,
    /// The first item alone is bigger than the budget (it is shown cut).
    oversized: bool,
}

impl Writer {
    fn new(format: ListFormat, budget: usize, across_namespaces: bool) -> Writer {
        Writer {
            format,
            // The JSON form's envelope repeats the continue token.
            room: budget.saturating_sub(match format {
                ListFormat::Json => RESERVE + JSON_ENVELOPE,
                _ => RESERVE,
            }),
            across_namespaces,
            columns: Vec::new(),
            table: None,
            parts: Vec::new(),
            parts_size: 0,
            rows: Vec::new(),
            items: 0,
            last_taken: 0,
            full: false,
            oversized: false,
        }
    }

    /// The limit of the next API request: about what the budget holds
    /// (table rows are short, objects are not), never more than wanted.
    fn api_limit(&self, wanted: Option<u32>) -> u32 {
        let per_item = match self.format {
            ListFormat::Table => 48,
            ListFormat::Yaml | ListFormat::Json => 1024,
        };
        let fits = (self.room / per_item) as u32;
        let limit = fits.clamp(8, MAX_API_LIMIT);
        wanted.map_or(limit, |w| limit.min(w.max(1)))
    }

    /// Stop reading more pages: the budget is nearly used up.
    fn full(&self) -> bool {
        if self.full {
            return true;
        }
        let used = self.used();
        let average = if self.items == 0 {
            0
        } else {
            used / self.items as usize
        };
        used + average > self.room
    }

    fn used(&self) -> usize {
        match &self.table {
            Some(t) => t.size(),
            None => self.parts_size,
        }
    }

    fn push_rows(
        &mut self,
        columns: Vec<Column>,
        rows: Vec<Vec<Value>>,
        skip: usize,
        wanted: Option<u32>,
    ) {
        self.last_taken = 0;
        if self.full || rows.len() <= skip {
            return;
        }
        if self.table.is_none() {
            self.table = Some(TableText::new(&columns));
            self.columns = columns.clone();
        }
        // Later pages could (in theory) differ: keep the first page's columns.
        let positions: Vec<Option<usize>> = self
            .columns
            .iter()
            .map(|c| columns.iter().position(|d| d.name == c.name))
            .collect();
        let table = self.table.as_mut().expect("set above");
        for row in rows.into_iter().skip(skip) {
            if wanted.is_some_and(|w| self.last_taken as u32 >= w) {
                break;
            }
            let mut row = row;
            let cells: Vec<Value> = positions
                .iter()
                .map(|p| {
                    p.and_then(|i| row.get_mut(i).map(Value::take))
                        .unwrap_or(Value::Null)
                })
                .collect();
            let text: Vec<String> = cells.iter().map(cell_text).collect();
            if table.size_with(&text) > self.room {
                if self.items > 0 {
                    self.full = true;
                    break;
                }
                self.full = true;
                self.oversized = true;
            }
            table.push(text);
            self.rows.push(cells);
            self.items += 1;
            self.last_taken += 1;
            if self.full {
                break;
            }
        }
    }

    fn push_objects(
        &mut self,
        items: Vec<Value>,
        (api_version, list_kind): &(String, String),
        skip: usize,
        wanted: Option<u32>,
    ) {
        self.last_taken = 0;
        if self.full {
            return;
        }
        if self.columns.is_empty() {
            if self.across_namespaces {
                self.columns.push(Column {
                    name: "Namespace".into(),
                    json_type: "string",
                });
            }
            self.columns.push(Column {
                name: "Name".into(),
                json_type: "string",
            });
        }
        let (format, separator) = match self.format {
            ListFormat::Yaml => (ObjectFormat::Yaml, "---\n".len()),
            _ => (ObjectFormat::Json, ",\n".len()),
        };
        // A YAML document stands alone: it says what it is, as kubectl's do.
        let kind = list_kind
            .strip_suffix("List")
            .filter(|_| format == ObjectFormat::Yaml);
        for mut item in items.into_iter().skip(skip) {
            if wanted.is_some_and(|w| self.last_taken as u32 >= w) {
                break;
            }
            if let (Some(kind), Some(object)) = (kind, item.as_object_mut())
                && !object.contains_key("kind")
            {
                object.insert("apiVersion".into(), api_version.clone().into());
                object.insert("kind".into(), kind.into());
            }
            let text = object_text(&item, format);
            let size = text.len() + if self.parts.is_empty() { 0 } else { separator };
            if self.parts_size + size > self.room {
                if self.items > 0 {
                    self.full = true;
                    break;
                }
                // One object larger than the whole budget: it is shown cut
                // (see `finish`), and nothing after it.
                self.full = true;
                self.oversized = true;
            }
            self.parts_size += size;
            let name = |key: &str| item["metadata"][key].clone();
            self.rows.push(if self.across_namespaces {
                vec![name("namespace"), name("name")]
            } else {
                vec![name("name")]
            });
            self.parts.push(text);
            self.items += 1;
            self.last_taken += 1;
            if self.full {
                break;
            }
        }
    }

    fn finish(
        self,
        empty: &str,
        token: Option<String>,
        remaining: Option<u64>,
        list_head: Option<(String, String)>,
    ) -> Page {
        let more = token.as_ref().map(|t| {
            let shown = match self.items {
                1 => "1 item shown".to_owned(),
                n => format!("{n} items shown"),
            };
            let after = match remaining {
                Some(n) => format!("{n} more"),
                None => "more follow".into(),
            };
            format!("({shown}; {after}: call again with continue: \"{t}\" for the next page)")
        });
        let empty = || format!("{empty}\n");
        let mut text = match self.format {
            ListFormat::Table => match &self.table {
                Some(t) if !t.is_empty() => t.render(),
                _ => empty(),
            },
            ListFormat::Yaml if self.parts.is_empty() => empty(),
            ListFormat::Yaml => self.parts.join("---\n"),
            ListFormat::Json => {
                let (api_version, kind) = list_head.unwrap_or_default();
                let mut metadata = Map::new();
                if let Some(t) = &token {
                    metadata.insert("continue".into(), t.clone().into());
                }
                if let Some(n) = remaining {
                    metadata.insert("remainingItemCount".into(), n.into());
                }
                let head = json!({"apiVersion": api_version, "kind": kind, "metadata": metadata});
                let head = head.to_string();
                let mut out = String::with_capacity(head.len() + self.parts_size + 16);
                out.push_str(&head[..head.len() - 1]);
                out.push_str(",\"items\":[");
                if !self.parts.is_empty() {
                    out.push('\n');
                    out.push_str(&self.parts.join(",\n"));
                    out.push('\n');
                }
                out.push_str("]}");
                out
            }
        };
        if self.oversized && text.len() > self.room {
            // A single item larger than the whole budget: show its start.
            let size = text.len();
            let mut end = self.room;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text.truncate(end);
            text.push_str(&format!(
                "\n(cut here: this item takes {size} bytes, more than the answer budget; \
                 get it alone with the get tool)\n"
            ));
        }
        let structured = serde_json::to_string(&Structured {
            columns: &self.columns,
            rows: &self.rows,
            continue_token: token.as_deref(),
            remaining_item_count: remaining,
        })
        .expect("rows serialize");
        Page {
            text,
            more,
            structured,
            items: self.items,
            continue_token: token,
            remaining_item_count: remaining,
        }
    }
}

#[cfg(test)]
mod tests;
