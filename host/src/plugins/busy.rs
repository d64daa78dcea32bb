//! How many calls may run at once: per plugin and per caller, so that one
//! caller (or one plugin's callers) cannot hold every pooled instance while
//! others wait. The excess is refused at once with a clear "busy", never
//! queued: a queue would only move the wait to the client's deadline.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::auth::CallerId;

/// Calls of one plugin at once (the instance pool holds 256).
pub const MAX_CALLS_PER_PLUGIN: usize = 64;
/// Calls of one caller at once, across plugins.
pub const MAX_CALLS_PER_CALLER: usize = 16;

/// The callers' counters, shared by every plugin of a runtime.
#[derive(Debug)]
pub struct CallerSlots {
    per_caller: usize,
    callers: Mutex<HashMap<CallerId, Arc<Semaphore>>>,
}

impl CallerSlots {
    pub fn new(per_caller: usize) -> CallerSlots {
        CallerSlots {
            per_caller,
            callers: Mutex::default(),
        }
    }

    /// A slot for `caller`, or how many calls of theirs are running.
    pub fn take(&self, caller: &CallerId) -> Result<OwnedSemaphorePermit, usize> {
        let semaphore = {
            let mut callers = self.callers.lock().expect("callers lock");
            if callers.len() >= 10_000 {
                // Forget callers with nothing running.
                callers.retain(|_, s| s.available_permits() < self.per_caller);
            }
            callers
                .entry(caller.clone())
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_caller)))
                .clone()
        };
        semaphore.try_acquire_owned().map_err(|_| self.per_caller)
    }
}

/// One plugin's slots, and the callers' ones.
#[derive(Debug, Clone)]
pub struct Slots {
    plugin: Arc<Semaphore>,
    per_plugin: usize,
    pub callers: Arc<CallerSlots>,
}

/// Why a call may not start now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Busy {
    /// The plugin runs this many calls already.
    Plugin(usize),
    /// The caller runs this many calls already.
    Caller(usize),
}

impl std::fmt::Display for Busy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Busy::Plugin(n) => write!(
                f,
                "is busy: it runs {n} calls already (its most at once); try again shortly"
            ),
            Busy::Caller(n) => write!(
                f,
                "is busy for this caller: {n} calls of yours are running (the most at once); try again when one ends"
            ),
        }
    }
}

impl Slots {
    pub fn new(per_plugin: usize, callers: Arc<CallerSlots>) -> Slots {
        Slots {
            plugin: Arc::new(Semaphore::new(per_plugin)),
            per_plugin,
            callers,
        }
    }

    /// Both slots for a call by `caller`, held until dropped.
    pub fn take(&self, caller: &CallerId) -> Result<[OwnedSemaphorePermit; 2], Busy> {
        let by_caller = self.callers.take(caller).map_err(Busy::Caller)?;
        let by_plugin = self
            .plugin
            .clone()
            .try_acquire_owned()
            .map_err(|_| Busy::Plugin(self.per_plugin))?;
        Ok([by_caller, by_plugin])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(issuer: &str, subject: &str) -> CallerId {
        CallerId {
            issuer: issuer.into(),
            subject: subject.into(),
        }
    }

    #[test]
    fn a_caller_or_a_plugin_over_its_slots_is_busy() {
        let (alice, bob) = (at("https://idp", "alice"), at("https://idp", "bob"));
        let callers = Arc::new(CallerSlots::new(2));
        let slots = Slots::new(3, callers.clone());
        let a1 = slots.take(&alice).unwrap();
        let _a2 = slots.take(&alice).unwrap();
        assert_eq!(slots.take(&alice).err(), Some(Busy::Caller(2)));
        // Another caller is not held up by alice.
        let _b1 = slots.take(&bob).unwrap();
        assert_eq!(slots.take(&bob).err(), Some(Busy::Plugin(3)));
        drop(a1);
        let _a3 = slots.take(&alice).unwrap();
        // The caller's slots are shared with another plugin.
        let other = Slots::new(3, callers);
        assert_eq!(other.take(&alice).err(), Some(Busy::Caller(2)));
    }

    #[test]
    fn the_same_subject_at_another_issuer_has_slots_of_its_own() {
        let callers = CallerSlots::new(1);
        let _held = callers.take(&at("https://corp", "alice")).unwrap();
        assert_eq!(callers.take(&at("https://corp", "alice")).err(), Some(1));
        assert!(callers.take(&at("https://partner", "alice")).is_ok());
    }
}
