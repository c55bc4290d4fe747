//! Breaking a deploy lock by hand: for when the holder is known to
//! be gone and its lease cannot be left to lapse (see `blueprint_store::lock`). The lock is
//! deleted and the feature log records who broke which lock, in one transaction.

use blueprint_store::{LockHolder, LogEntry, LogEvent};

use crate::{EngineError, Workspace};

/// Every deploy lock the workspace's state holds, expired or not; none when it has no state.
pub async fn held_locks(workspace: &Workspace) -> Result<Vec<LockHolder>, EngineError> {
    Ok(workspace
        .state
        .using_existing(async |store| store.locks().await)
        .await?
        .unwrap_or_default())
}

/// Breaks `holder`'s lock and records it in the feature log, naming the workspace's actor.
/// `None` when the lock is no longer that holder's (released or taken over since it was read):
/// nothing is broken then, and nothing recorded.
pub async fn break_lock(
    workspace: &Workspace,
    holder: &LockHolder,
) -> Result<Option<LogEntry>, EngineError> {
    workspace
        .actor
        .may_change(crate::engagement::Activity::Unlock)?;
    let event = LogEvent::lock_broken(holder, &workspace.actor.name, workspace.actor.role);
    Ok(workspace
        .state
        .using(async |store| store.break_lock(holder, &event).await)
        .await?)
}
