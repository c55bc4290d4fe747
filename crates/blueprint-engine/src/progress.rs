//! Progress of long work, for a front end to show as it happens: the command line draws a bar
//! and prints each change above it, a web app streams the events to the browser. One trait,
//! [`Progress`], implemented by any `Fn(ProgressEvent)` and by a channel's sender.

use std::sync::Arc;

use blueprint_graph::GraphEvent;
use serde::Serialize;

use crate::apply::ActionResult;

/// Something worth showing while the engine works.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum ProgressEvent {
    /// A deploy starts applying its plan: `actions` steps to go.
    Applying { actions: usize },
    /// One step of a deploy finished (done, unchanged, failed or skipped).
    Finished { result: ActionResult },
    /// The deploy's steps are all done.
    Applied { done: usize, failed: usize },
    /// Microsoft Graph throttled a request; the client waits before trying again.
    Throttled {
        path: String,
        wait_ms: u64,
        attempt: u32,
    },
    /// A transient failure; the client waits before trying again.
    Retrying {
        path: String,
        reason: String,
        wait_ms: u64,
        attempt: u32,
    },
}

/// Receives [`ProgressEvent`]s. Called inline from the engine's tasks: keep it quick (hand the
/// event on, as a channel does).
pub trait Progress: Send + Sync {
    fn report(&self, event: ProgressEvent);
}

impl<F: Fn(ProgressEvent) + Send + Sync> Progress for F {
    fn report(&self, event: ProgressEvent) {
        self(event)
    }
}

/// A web app's way: every event goes down the channel (dropped once nobody listens).
impl Progress for tokio::sync::mpsc::UnboundedSender<ProgressEvent> {
    fn report(&self, event: ProgressEvent) {
        let _ = self.send(event);
    }
}

/// Progress nobody watches.
pub fn quiet() -> Arc<dyn Progress> {
    Arc::new(|_: ProgressEvent| {})
}

/// The Graph client's observer, reporting its waits as progress.
pub(crate) fn graph_observer(progress: Arc<dyn Progress>) -> blueprint_graph::Observer {
    Arc::new(move |event| {
        let millis = |d: std::time::Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        match event {
            GraphEvent::Throttled {
                path,
                wait,
                attempt,
            } => progress.report(ProgressEvent::Throttled {
                path,
                wait_ms: millis(wait),
                attempt,
            }),
            GraphEvent::Retrying {
                path,
                reason,
                wait,
                attempt,
            } => progress.report(ProgressEvent::Retrying {
                path,
                reason,
                wait_ms: millis(wait),
                attempt,
            }),
            _ => {}
        }
    })
}
