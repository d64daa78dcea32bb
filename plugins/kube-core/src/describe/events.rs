//! The object's recent events, deduplicated: one line per type, reason and
//! message, with how often and how recently it happened.

use kube_mcp_plugin::kubernetes::{self, EventSubject};
use serde_json::Value;

use super::text::{Doc, one_line, str_at, trim};
use super::{Subject, time};

/// At most this many distinct events, the most recent.
const EVENTS_SHOWN: usize = 15;

/// One distinct event: how often, first and last seen.
struct Seen {
    kind: String,
    reason: String,
    source: String,
    message: String,
    count: u64,
    first: Option<i64>,
    last: Option<i64>,
}

pub fn describe(doc: &mut Doc, s: &Subject) {
    let about = EventSubject {
        kind: s.kind().to_owned(),
        name: s.name().to_owned(),
    };
    let events = kubernetes::events(s.namespace(), Some(&about))
        .map_err(|e| e.message())
        .and_then(|list| serde_json::from_str::<Value>(&list).map_err(|e| e.to_string()));
    let events = match events {
        Ok(list) => list
            .get("items")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        Err(why) => {
            doc.field("Events", format!("<not listed: {why}>"));
            return;
        }
    };
    let seen = dedup(&events, s.uid());
    if seen.is_empty() {
        doc.field("Events", "<none>");
        return;
    }
    let hidden = seen.len().saturating_sub(EVENTS_SHOWN);
    doc.section(&if hidden > 0 {
        format!(
            "Events (the {EVENTS_SHOWN} most recent of {}, oldest first)",
            seen.len()
        )
    } else {
        "Events (oldest first)".to_owned()
    });
    let ago = |t: Option<i64>| t.map_or("?".into(), |t| time::duration(s.now - t));
    let rows: Vec<Vec<String>> = seen[hidden..]
        .iter()
        .map(|e| {
            vec![
                e.kind.clone(),
                e.reason.clone(),
                if e.count > 1 {
                    format!("x{} over {}", e.count, ago(e.first))
                } else {
                    "x1".into()
                },
                ago(e.last),
                e.source.clone(),
                trim(&e.message, 200),
            ]
        })
        .collect();
    doc.table(
        &["TYPE", "REASON", "COUNT", "LAST", "FROM", "MESSAGE"],
        &rows,
    );
}

/// Events about this very object (a namesake deleted and recreated has
/// another uid), merged by type, reason and message, oldest first.
fn dedup(events: &[Value], uid: Option<&str>) -> Vec<Seen> {
    let mut seen: Vec<Seen> = Vec::new();
    for e in events {
        let event_uid = str_at(e, "/involvedObject/uid").filter(|u| !u.is_empty());
        if let (Some(want), Some(got)) = (uid, event_uid)
            && want != got
        {
            continue;
        }
        let kind = str_at(e, "/type").unwrap_or("Normal").to_owned();
        let reason = str_at(e, "/reason").unwrap_or("?").to_owned();
        let message = one_line(str_at(e, "/message").unwrap_or_default());
        let count = e
            .pointer("/series/count")
            .or(e.get("count"))
            .and_then(Value::as_u64)
            .unwrap_or(1)
            .max(1);
        let at = |keys: &[&str]| keys.iter().find_map(|k| str_at(e, k)).and_then(time::parse);
        let first = at(&[
            "/firstTimestamp",
            "/eventTime",
            "/metadata/creationTimestamp",
        ]);
        let last = at(&[
            "/series/lastObservedTime",
            "/lastTimestamp",
            "/eventTime",
            "/metadata/creationTimestamp",
        ]);
        let source = str_at(e, "/source/component")
            .or(str_at(e, "/reportingComponent"))
            .filter(|c| !c.is_empty())
            .unwrap_or("?")
            .to_owned();
        match seen
            .iter_mut()
            .find(|x| x.kind == kind && x.reason == reason && x.message == message)
        {
            Some(x) => {
                x.count += count;
                x.first = x.first.min(first).or(x.first).or(first);
                x.last = x.last.max(last);
            }
            None => seen.push(Seen {
                kind,
                reason,
                source,
                message,
                count,
                first,
                last,
            }),
        }
    }
    seen.sort_by_key(|x| x.last.unwrap_or(0));
    seen
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn repeats_merge_with_their_counts_and_namesakes_are_left_out() {
        let events = vec![
            json!({"type": "Warning", "reason": "BackOff", "message": "Back-off restarting", "count": 7,
                   "firstTimestamp": "2026-12-05T10:00:00Z", "lastTimestamp": "2026-12-05T10:20:00Z",
                   "involvedObject": {"uid": "u1"}, "source": {"component": "kubelet"}}),
            json!({"type": "Normal", "reason": "Pulled", "message": "pulled", "count": 1,
                   "lastTimestamp": "2026-12-05T09:00:00Z", "involvedObject": {"uid": "u1"}}),
            json!({"type": "Warning", "reason": "BackOff", "message": "Back-off  restarting", "count": 5,
                   "firstTimestamp": "2026-12-05T09:30:00Z", "lastTimestamp": "2026-12-05T10:10:00Z",
                   "involvedObject": {"uid": "u1"}}),
            json!({"type": "Warning", "reason": "Old", "message": "a namesake's", "involvedObject": {"uid": "u0"}}),
        ];
        let seen = dedup(&events, Some("u1"));
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0].reason, "Pulled");
        assert_eq!(seen[1].reason, "BackOff");
        assert_eq!(seen[1].count, 12);
        assert_eq!(seen[1].first, time::parse("2026-12-05T09:30:00Z"));
        assert_eq!(seen[1].last, time::parse("2026-12-05T10:20:00Z"));
    }
}
