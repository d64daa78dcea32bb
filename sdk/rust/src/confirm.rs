//! Asking the user before a change, the way every first-party write tool
//! does: through elicitation, failing closed.

use crate::client::{self, Elicitation};
use crate::config;
use crate::types::CallResult;

/// Asks the user to confirm `question` before a change; `None` means go
/// on, `Some` is the answer to give instead. A dry run needs no
/// confirmation. Not a tool argument: the model must not be able to skip
/// the person. A client that cannot be asked (no elicitation, or a
/// stateless server) is refused, unless the operator set the plugin's
/// setting `confirmation: notRequired`
/// (`plugins.overrides.<plugin>.settings`); `plugin` names it in the
/// message. `confirmation: never` opts the plugin out of asking at all
/// (for automation the operator trusts; `pods_exec`'s opt-out).
pub fn confirm(plugin: &str, dry_run: bool, question: &str) -> Option<CallResult> {
    if dry_run {
        return None;
    }
    let setting = config::get("confirmation");
    if setting.as_deref() == Some("never") {
        return None;
    }
    if !client::capabilities().elicitation {
        return match setting.as_deref() {
            Some("notRequired") => None,
            None | Some("required") => Some(CallResult::error(format!(
                "this change needs the user's confirmation, and this client cannot be asked \
                 (it does not support elicitation, or the server is stateless); nothing was \
                 changed. Use dryRun to preview it; an operator can allow unconfirmed changes \
                 with plugins.overrides.{plugin}.settings.confirmation: notRequired"
            ))),
            Some(other) => Some(CallResult::error(format!(
                "plugins.overrides.{plugin}.settings.confirmation is '{other}': use required, \
                 notRequired or never; nothing was changed"
            ))),
        };
    }
    let schema = r#"{"type":"object","properties":{"confirm":{"type":"boolean","title":"Go ahead","default":false}},"required":["confirm"]}"#;
    match client::elicit(question, schema) {
        Ok(Elicitation::Accept(content)) => {
            let yes = serde_json::from_str::<serde_json::Value>(&content)
                .ok()
                .and_then(|v| v.get("confirm").and_then(|c| c.as_bool()))
                .unwrap_or(false);
            (!yes).then(|| CallResult::error("the user did not confirm; nothing was changed"))
        }
        Ok(Elicitation::Decline) | Ok(Elicitation::Cancel) => {
            Some(CallResult::error("the user declined; nothing was changed"))
        }
        // Asked and could not hear back: do not act on silence.
        Err(_) => Some(CallResult::error(
            "the user could not be asked to confirm; nothing was changed",
        )),
    }
}
