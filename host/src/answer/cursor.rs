//! Continue tokens that resume exactly after the last item shown, even
//! when the answer budget cut inside one of the API server's pages.
//!
//! A token names the API page the cut was in (the API server's own continue
//! token of that page, or, for the first page, the resource version it was
//! read at), the limit it was read with, and how many of its items were
//! already shown. Asking for the same page again — same continue token (or
//! `resourceVersion` with `resourceVersionMatch=Exact`) and the same limit —
//! returns the same items from the same snapshot, so skipping the shown ones
//! neither repeats nor loses an item.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// What this server's tokens start with; anything else is taken as the API
/// server's own `metadata.continue`.
const PREFIX: &str = "kmc1.";

/// Where a list resumes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// The API server's continue token of the page to read; absent for the
    /// first page.
    #[serde(rename = "c", default, skip_serializing_if = "Option::is_none")]
    pub api_continue: Option<String>,
    /// The first page's resource version, so that reading it again returns
    /// the same snapshot (only used without `api_continue`).
    #[serde(rename = "v", default, skip_serializing_if = "Option::is_none")]
    pub resource_version: Option<String>,
    /// Items of that page already shown.
    #[serde(rename = "s", default, skip_serializing_if = "is_zero")]
    pub skip: u32,
    /// The limit the page was read with (a different limit would move its
    /// end); absent when nothing of it was shown yet.
    #[serde(rename = "l", default, skip_serializing_if = "Option::is_none")]
    pub page_limit: Option<u32>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// A continue token this server did not issue, or that was damaged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the continue token is damaged: give the one the previous page ended with, unchanged")]
pub struct BadToken;

impl Cursor {
    /// Reads a continue token: one of ours, or the API server's own.
    pub fn decode(token: Option<&str>) -> Result<Cursor, BadToken> {
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            return Ok(Cursor::default());
        };
        let Some(encoded) = token.strip_prefix(PREFIX) else {
            return Ok(Cursor {
                api_continue: Some(token.to_owned()),
                ..Cursor::default()
            });
        };
        let bytes = URL_SAFE_NO_PAD.decode(encoded).map_err(|_| BadToken)?;
        let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| BadToken)?;
        if cursor.skip > 0 && cursor.page_limit.is_none_or(|l| l < cursor.skip) {
            return Err(BadToken);
        }
        Ok(cursor)
    }

    /// The token of this cursor. A cursor at the start of an API page is
    /// the API server's token itself.
    pub fn encode(&self) -> String {
        if let (Some(api), None, 0) = (&self.api_continue, &self.resource_version, self.skip) {
            return api.clone();
        }
        let json = serde_json::to_vec(self).expect("a cursor serializes");
        format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(json))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_inside_a_page_round_trips() {
        let cursor = Cursor {
            api_continue: Some("eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MTJ9".into()),
            resource_version: None,
            skip: 37,
            page_limit: Some(500),
        };
        let token = cursor.encode();
        assert!(token.starts_with(PREFIX), "{token}");
        assert_eq!(Cursor::decode(Some(&token)), Ok(cursor));

        let first = Cursor {
            resource_version: Some("4711".into()),
            skip: 3,
            page_limit: Some(32),
            ..Cursor::default()
        };
        assert_eq!(Cursor::decode(Some(&first.encode())), Ok(first));
    }

    #[test]
    fn the_api_servers_own_tokens_pass_through() {
        let at_page_start = Cursor {
            api_continue: Some("abc".into()),
            ..Cursor::default()
        };
        assert_eq!(at_page_start.encode(), "abc");
        assert_eq!(Cursor::decode(Some("abc")), Ok(at_page_start));
        assert_eq!(Cursor::decode(None), Ok(Cursor::default()));
        assert_eq!(Cursor::decode(Some("")), Ok(Cursor::default()));
    }

    #[test]
    fn damaged_tokens_are_refused() {
        assert_eq!(Cursor::decode(Some("kmc1.!!")), Err(BadToken));
        assert_eq!(
            Cursor::decode(Some(&format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode("[1]")))),
            Err(BadToken)
        );
        // Skipping more than the page holds cannot come from this server.
        let bad = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(r#"{"s":9,"l":5}"#));
        assert_eq!(Cursor::decode(Some(&bad)), Err(BadToken));
    }
}
