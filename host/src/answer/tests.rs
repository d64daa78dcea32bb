//! [`list_page`] against an in-memory API that pages like the API server:
//! continue tokens are offsets into a fixed snapshot, limits are honoured,
//! and `remainingItemCount` is given.

use super::*;
use serde_json::json;

/// A list of `n` pods `pod-0000`…, paged like the API server.
struct Api {
    names: Vec<String>,
    namespace: Option<&'static str>,
    requests: Vec<PageRequest>,
    /// Bytes of padding in each object (to make YAML/JSON items big).
    padding: usize,
    /// Pages of more items than this are "too large to read".
    readable: Option<u32>,
}

impl Api {
    fn new(n: usize) -> Api {
        Api {
            names: (0..n).map(|i| format!("pod-{i:04}")).collect(),
            namespace: None,
            requests: Vec::new(),
            padding: 0,
            readable: None,
        }
    }

    fn window(&self, request: &PageRequest) -> (usize, usize, ListMeta) {
        let start: usize = request
            .continue_token
            .as_deref()
            .map_or(0, |t| t.strip_prefix("at:").unwrap().parse().unwrap());
        let end = (start + request.limit as usize).min(self.names.len());
        let more = end < self.names.len();
        let meta = ListMeta {
            resource_version: Some("100".into()),
            continue_token: more.then(|| format!("at:{end}")),
            remaining_item_count: more.then(|| (self.names.len() - end) as u64),
        };
        (start, end, meta)
    }
}

impl Source for Api {
    type Error = String;

    fn fetch(
        &mut self,
        request: PageRequest,
        table: bool,
    ) -> impl Future<Output = Result<ApiPage, String>> + Send {
        if self.readable.is_some_and(|r| request.limit > r) {
            self.requests.push(request);
            return std::future::ready(Err("too large".to_owned()));
        }
        let (start, end, meta) = self.window(&request);
        self.requests.push(request);
        let names = &self.names[start..end];
        let namespace = self.namespace.unwrap_or("demo");
        let page = if table {
            ApiPage::Table(TableResponse {
                kind: "Table".into(),
                column_definitions: serde_json::from_value(json!([
                    {"name": "Name", "type": "string", "priority": 0},
                    {"name": "Ready", "type": "string", "priority": 0},
                    {"name": "Restarts", "type": "integer", "priority": 0},
                    {"name": "IP", "type": "string", "priority": 1},
                ]))
                .unwrap(),
                rows: names
                    .iter()
                    .map(|n| {
                        serde_json::from_value(json!({"cells": [n, "1/1", 0, "10.0.0.1"],
                            "object": {"metadata": {"name": n, "namespace": namespace}}}))
                        .unwrap()
                    })
                    .collect(),
                items: Vec::new(),
                metadata: meta,
            })
        } else {
            let items: Vec<Value> = names
                .iter()
                .map(|n| {
                    json!({"metadata": {"name": n, "namespace": namespace},
                    "spec": {"padding": "x".repeat(self.padding)}})
                })
                .collect();
            ApiPage::List(json!({"apiVersion": "v1", "kind": "PodList",
                "metadata": {"resourceVersion": meta.resource_version,
                    "continue": meta.continue_token, "remainingItemCount": meta.remaining_item_count},
                "items": items}))
        };
        std::future::ready(Ok(page))
    }

    fn too_large(error: &String) -> bool {
        error == "too large"
    }
}

#[tokio::test]
async fn an_answer_too_big_to_read_is_asked_again_for_fewer_items() {
    let mut api = Api::new(100);
    api.readable = Some(5);
    let page = list_page(&mut api, request(ListFormat::Json, 32 * 1024, None))
        .await
        .unwrap();
    assert!(page.items >= 5, "{} items", page.items);
    let limits: Vec<u32> = api.requests.iter().map(|r| r.limit).collect();
    assert!(
        limits.windows(2).take(3).all(|w| w[1] <= w[0]),
        "{limits:?}"
    );
    assert!(limits.iter().any(|&l| l <= 5), "{limits:?}");
    // The token resumes where the page ended.
    let next = page.continue_token.unwrap();
    let again = list_page(&mut api, request(ListFormat::Json, 32 * 1024, Some(&next)))
        .await
        .unwrap();
    assert!(
        again.structured.contains(&format!("pod-{:04}", page.items)),
        "{}",
        again.structured
    );
}

fn request(format: ListFormat, budget: u32, token: Option<&str>) -> ListRequest {
    ListRequest {
        format,
        wide: false,
        budget,
        max_items: None,
        cursor: Cursor::decode(token).unwrap(),
        across_namespaces: false,
        empty: "No pods found in namespace demo.".into(),
    }
}

fn page(api: &mut Api, request: ListRequest) -> Page {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(list_page(api, request))
        .unwrap()
}

fn shown_names(page: &Page) -> Vec<String> {
    let structured: Value = serde_json::from_str(&page.structured).unwrap();
    structured["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Name"].as_str().unwrap().to_owned())
        .collect()
}

/// Pages through the whole list; returns every name shown, in order.
fn page_through(api: &mut Api, format: ListFormat, budget: u32) -> (Vec<String>, usize) {
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let p = page(api, request(format, budget, token.as_deref()));
        let size = p.text.len() + p.more.as_ref().map_or(0, String::len);
        assert!(
            size <= budget as usize,
            "{size} bytes over a budget of {budget}"
        );
        seen.extend(shown_names(&p));
        pages += 1;
        assert!(pages < 10_000);
        match p.continue_token {
            Some(t) => token = Some(t),
            None => break,
        }
    }
    (seen, pages)
}

#[test]
fn a_small_list_is_one_table_within_the_budget() {
    let mut api = Api::new(100);
    let p = page(&mut api, request(ListFormat::Table, DEFAULT_BUDGET, None));
    assert_eq!(p.items, 100);
    assert_eq!(p.more, None);
    assert_eq!(p.continue_token, None);
    let lines: Vec<&str> = p.text.lines().collect();
    assert_eq!(lines.len(), 101);
    assert_eq!(lines[0], "NAME      READY  RESTARTS");
    assert_eq!(lines[1], "pod-0000  1/1    0");
    assert_eq!(api.requests.len(), 1, "{:?}", api.requests);
    let structured: Value = serde_json::from_str(&p.structured).unwrap();
    assert_eq!(
        structured["columns"],
        json!([{"name": "Name", "type": "string"}, {"name": "Ready", "type": "string"},
            {"name": "Restarts", "type": "integer"}])
    );
    assert_eq!(
        structured["rows"][7],
        json!({"Name": "pod-0007", "Ready": "1/1", "Restarts": 0})
    );
}

#[test]
fn paging_a_big_list_shows_every_item_exactly_once_in_every_form() {
    for (format, budget, padding) in [
        (ListFormat::Table, 2048, 0),
        (ListFormat::Table, DEFAULT_BUDGET, 0),
        (ListFormat::Yaml, 8192, 300),
        (ListFormat::Json, DEFAULT_BUDGET, 1500),
    ] {
        let mut api = Api::new(2000);
        api.padding = padding;
        let (seen, pages) = page_through(&mut api, format, budget);
        assert_eq!(seen, api.names, "{format} at {budget} bytes");
        assert!(pages > 1, "{format}: {pages} pages");
    }
}

#[test]
fn a_cut_inside_an_api_page_rereads_that_page_at_the_same_snapshot() {
    // Cut inside the second API page: read again with its continue token.
    let mut api = Api::new(2000);
    let first = page(&mut api, request(ListFormat::Table, 2048, None));
    assert!(first.items > 10 && first.items < 100, "{}", first.items);
    assert_eq!(first.remaining_item_count, Some(2000 - first.items as u64));
    let more = first.more.as_deref().unwrap();
    let token = first.continue_token.as_deref().unwrap();
    assert_eq!(
        more,
        format!(
            "({} items shown; {} more: call again with continue: \"{token}\" for the next page)",
            first.items,
            2000 - first.items
        )
    );
    let last = api.requests.last().unwrap().clone();
    let before = api.requests.len();
    page(&mut api, request(ListFormat::Table, 2048, Some(token)));
    assert_eq!(api.requests[before], last, "the same API page again");

    // Cut inside the first API page: read it again at its resource version.
    let mut api = Api::new(2000);
    api.padding = 1200;
    let first = page(&mut api, request(ListFormat::Yaml, 8192, None));
    assert_eq!(api.requests.len(), 1);
    assert!(first.items < api.requests[0].limit, "{}", first.items);
    page(
        &mut api,
        request(ListFormat::Yaml, 8192, first.continue_token.as_deref()),
    );
    assert_eq!(
        api.requests[1],
        PageRequest {
            continue_token: None,
            resource_version: Some("100".into()),
            limit: api.requests[0].limit,
        },
        "the first page again, at its resource version and with its limit"
    );
}

#[test]
fn limit_caps_the_items_and_the_next_page_follows_on() {
    let mut api = Api::new(50);
    let mut r = request(ListFormat::Table, DEFAULT_BUDGET, None);
    r.max_items = Some(7);
    let p = page(&mut api, r);
    assert_eq!(shown_names(&p).len(), 7);
    assert_eq!(api.requests[0].limit, 7);
    assert_eq!(p.remaining_item_count, Some(43));
    let mut r = request(
        ListFormat::Table,
        DEFAULT_BUDGET,
        p.continue_token.as_deref(),
    );
    r.max_items = Some(7);
    assert_eq!(shown_names(&page(&mut api, r))[0], "pod-0007");
}

#[test]
fn the_json_form_is_the_list_with_its_continue_token() {
    let mut api = Api::new(100);
    api.padding = 2000;
    let p = page(&mut api, request(ListFormat::Json, DEFAULT_BUDGET, None));
    let list: Value = serde_json::from_str(&p.text).unwrap();
    assert_eq!(list["kind"], "PodList");
    assert_eq!(list["items"].as_array().unwrap().len(), p.items as usize);
    assert_eq!(
        list["metadata"]["continue"].as_str(),
        p.continue_token.as_deref()
    );
    assert_eq!(list["metadata"]["remainingItemCount"], 100 - p.items);
    assert!(p.text.len() <= DEFAULT_BUDGET as usize);
}

#[test]
fn yaml_documents_are_separated() {
    let mut api = Api::new(3);
    let p = page(&mut api, request(ListFormat::Yaml, DEFAULT_BUDGET, None));
    let docs: Vec<Value> = p
        .text
        .split("---\n")
        .map(|d| serde_yaml_ng::from_str(d).unwrap())
        .collect();
    assert_eq!(docs.len(), 3);
    assert_eq!(docs[2]["metadata"]["name"], "pod-0002");
}

#[test]
fn across_namespaces_the_namespace_comes_first() {
    let mut api = Api::new(2);
    api.namespace = Some("shop");
    let mut r = request(ListFormat::Table, DEFAULT_BUDGET, None);
    r.across_namespaces = true;
    let p = page(&mut api, r.clone());
    assert!(p.text.starts_with("NAMESPACE  NAME"), "{}", p.text);
    let mut api = Api::new(2);
    r.format = ListFormat::Json;
    let p = page(&mut api, r);
    let structured: Value = serde_json::from_str(&p.structured).unwrap();
    assert_eq!(
        structured["rows"][1],
        json!({"Namespace": "demo", "Name": "pod-0001"})
    );
}

#[test]
fn an_empty_list_says_so() {
    let mut api = Api::new(0);
    let p = page(&mut api, request(ListFormat::Table, DEFAULT_BUDGET, None));
    assert_eq!(
        p.text,
        "No pods found in namespace demo.
"
    );
}

#[test]
fn one_item_bigger_than_the_budget_is_cut_and_says_so() {
    let mut api = Api::new(3);
    api.padding = 10_000;
    let p = page(&mut api, request(ListFormat::Yaml, 4096, None));
    assert_eq!(p.items, 1);
    assert!(
        p.text.ends_with("get it alone with the get tool)\n"),
        "{}",
        p.text
    );
    let size = p.text.len() + p.more.as_ref().map_or(0, String::len);
    assert!(size <= 4096, "{size}");
    assert_eq!(
        shown_names(&page(
            &mut api,
            request(ListFormat::Yaml, 4096, p.continue_token.as_deref())
        ))[0],
        "pod-0001"
    );
}

#[test]
fn a_json_page_is_whole_json_within_the_budget() {
    for padding in [0, 700, 3000] {
        let mut api = Api::new(500);
        api.padding = padding;
        let p = page(&mut api, request(ListFormat::Json, DEFAULT_BUDGET, None));
        let size = p.text.len() + p.more.as_ref().map_or(0, String::len);
        assert!(size <= DEFAULT_BUDGET as usize, "{padding}: {size}");
        let list: Value = serde_json::from_str(&p.text).unwrap();
        assert_eq!(list["items"].as_array().unwrap().len(), p.items as usize);
    }
}
