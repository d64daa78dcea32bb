//! Connected sessions, and telling them when the plugins change.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use rmcp::service::{Peer, RoleServer};

use crate::plugins::{Plugin, PluginHost, Registry};

/// A session that finished its handshake.
struct Session {
    peer: Peer<RoleServer>,
    /// Resource URIs it subscribed to.
    subscriptions: Arc<Mutex<HashSet<String>>>,
}

/// Every live session of the server.
#[derive(Default)]
pub struct Sessions {
    sessions: Mutex<Vec<Session>>,
}

impl Sessions {
    /// Adds a session that finished its handshake.
    pub fn join(&self, peer: Peer<RoleServer>, subscriptions: Arc<Mutex<HashSet<String>>>) {
        let mut sessions = self.sessions.lock().expect("sessions lock");
        sessions.retain(|s| !s.peer.is_transport_closed());
        sessions.push(Session {
            peer,
            subscriptions,
        });
    }

    /// Sessions whose transport is still open.
    pub fn count(&self) -> usize {
        let mut sessions = self.sessions.lock().expect("sessions lock");
        sessions.retain(|s| !s.peer.is_transport_closed());
        sessions.len()
    }

    /// Sends every session the notifications that the change from `before`
    /// to `after` calls for.
    pub async fn announce(&self, before: &Registry, after: &Registry) {
        let changed = Changes::between(before, after);
        if changed.is_empty() {
            return;
        }
        let targets: Vec<(Peer<RoleServer>, Vec<String>)> = {
            let mut sessions = self.sessions.lock().expect("sessions lock");
            sessions.retain(|s| !s.peer.is_transport_closed());
            sessions
                .iter()
                .map(|s| {
                    let subscribed = s.subscriptions.lock().expect("subscriptions lock");
                    let updated = subscribed
                        .iter()
                        .filter(|uri| changed.resource_changed(before, after, uri))
                        .cloned()
                        .collect();
                    (s.peer.clone(), updated)
                })
                .collect()
        };
        tracing::debug!(
            sessions = targets.len(),
            ?changed,
            "announcing plugin changes"
        );
        for (peer, updated) in targets {
            let result = async {
                if changed.tools {
                    peer.notify_tool_list_changed().await?;
                }
                if changed.prompts {
                    peer.notify_prompt_list_changed().await?;
                }
                if changed.resources {
                    peer.notify_resource_list_changed().await?;
                }
                for uri in updated {
                    let params = serde_json::from_value(serde_json::json!({ "uri": uri }))
                        .expect("a resource-updated notification");
                    peer.notify_resource_updated(params).await?;
                }
                Ok::<_, rmcp::service::ServiceError>(())
            }
            .await;
            if let Err(e) = result {
                tracing::debug!("cannot notify a session: {e}");
            }
        }
    }

    /// Announces every change of `plugins`' registry, for as long as the
    /// returned task runs.
    pub fn follow(self: &Arc<Self>, plugins: Arc<PluginHost>) -> tokio::task::JoinHandle<()> {
        let sessions = self.clone();
        let mut generations = plugins.subscribe();
        tokio::spawn(async move {
            let mut before = plugins.registry();
            while generations.changed().await.is_ok() {
                let after = plugins.registry();
                sessions.announce(&before, &after).await;
                before = after;
            }
        })
    }
}

/// Which lists a registry change affects.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Changes {
    pub tools: bool,
    pub prompts: bool,
    pub resources: bool,
}

impl Changes {
    pub fn between(before: &Registry, after: &Registry) -> Changes {
        // A plugin that was replaced counts as changed even when its names
        // stayed: descriptions and schemas may differ.
        let providers = |registry: &Registry, has: fn(&Plugin) -> bool| -> Vec<*const Plugin> {
            let mut list: Vec<_> = registry
                .plugins()
                .iter()
                .filter(|p| has(p))
                .map(Arc::as_ptr)
                .collect();
            list.sort();
            list
        };
        let differs = |has: fn(&Plugin) -> bool| providers(before, has) != providers(after, has);
        Changes {
            tools: differs(|p| !p.tools.is_empty()),
            prompts: differs(|p| !p.prompts.is_empty()),
            // Views are resources too, for clients with MCP Apps.
            resources: differs(|p| {
                !p.resources.is_empty() || !p.templates.is_empty() || !p.views.views.is_empty()
            }),
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == Changes::default()
    }

    /// Whether the plugin serving `uri` changed.
    pub fn resource_changed(&self, before: &Registry, after: &Registry, uri: &str) -> bool {
        match (before.resource_owner(uri), after.resource_owner(uri)) {
            (Some(a), Some(b)) => !Arc::ptr_eq(a, b),
            (None, None) => false,
            _ => true,
        }
    }
}
