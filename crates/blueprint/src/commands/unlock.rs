//! `blueprint unlock --force`: break a deploy lock whose holder is gone (logged).

use blueprint_engine::unlock::{break_lock, held_locks};
use blueprint_store::{Clock, LockHolder, SystemClock, rfc3339};
use clap::Args;

use super::common::{Format, WorkspaceArgs, engine_error, print_json, runtime};
use crate::{CommandError, Outcome};

/// Break a deploy lock whose holder is gone (recorded in the feature log).
///
/// A deploy or rollback holds its tenant's lock as a lease it renews every 10 seconds. A
/// holder that crashed, was killed or lost its network stops renewing, and its lock lapses a
/// minute after the last renewal: the next deploy then takes it over by itself, and `unlock` is
/// not needed. Use it when that minute cannot wait, or for a lock an older blueprint left.
///
/// Without --force it only shows the lock (whose, what for, on which host and process, since
/// when, last heartbeat, when it lapses) and exits 2. With --force it deletes that lock and
/// records a `lock_broken` entry in the feature log naming the lock and who broke it (--actor,
/// --role), in one transaction. Break a lock only when its holder is gone: a holder still
/// running finds out at its next change and stops, but a change it already sent finishes.
/// The program office role cannot break locks.
#[derive(Debug, Args)]
pub struct UnlockArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// The tenant whose lock to break, as the lock names it; needed when several are locked.
    #[arg(long, value_name = "TENANT_ID")]
    pub tenant: Option<String>,
    /// Break the lock (without it, only show what would be broken).
    #[arg(long)]
    pub force: bool,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

pub fn run(args: UnlockArgs) -> Result<Outcome, CommandError> {
    let workspace = args.workspace.open()?;
    let rt = runtime()?;
    let locks: Vec<LockHolder> = rt
        .block_on(held_locks(&workspace))
        .map_err(engine_error)?
        .into_iter()
        .filter(|l| args.tenant.as_deref().is_none_or(|t| t == l.tenant))
        .collect();
    let json = args.format == Format::Json;
    let holder = match locks.as_slice() {
        [] => {
            let which = match &args.tenant {
                Some(t) => format!("on tenant {t} "),
                None => String::new(),
            };
            if json {
                print_json(&serde_json::json!({ "broken": null }));
            } else {
                println!("No deploy lock {which}is held in {}.", workspace.state);
            }
            return Ok(Outcome::Success);
        }
        [one] => one,
        several => {
            let list: String = several.iter().map(|l| describe(l, now())).collect();
            return Err(CommandError::Input(format!(
                "{} tenants are locked:\n{list}name the one to unlock with --tenant",
                several.len()
            )));
        }
    };
    if !json {
        print!("{}", describe(holder, now()));
    }
    if !args.force {
        return Err(CommandError::Input(format!(
            "the lock on tenant {} was not broken: pass --force to break it, once its holder is gone",
            holder.tenant
        )));
    }
    let entry = rt
        .block_on(break_lock(&workspace, holder))
        .map_err(engine_error)?;
    let Some(entry) = entry else {
        return Err(CommandError::Failed(format!(
            "the lock on tenant {} changed while this ran (released, or taken over): nothing was broken; run `blueprint unlock` again to see it",
            holder.tenant
        )));
    };
    if json {
        print_json(&serde_json::json!({ "broken": holder, "log_entry": entry.seq }));
    } else {
        println!(
            "Broke the lock. Recorded as feature log entry {} by {} ({}).",
            entry.seq, entry.event.actor, entry.event.role
        );
    }
    Ok(Outcome::Success)
}

fn now() -> i64 {
    SystemClock.now_ms()
}

/// The lock, for a person deciding whether to break it.
fn describe(lock: &LockHolder, now_ms: i64) -> String {
    let seconds = (lock.expires_ms - now_ms) / 1000;
    let lapse = if lock.is_expired(now_ms) {
        format!(
            "lapsed at {} ({}s ago): the next deploy takes it over by itself",
            rfc3339(lock.expires_ms),
            -seconds
        )
    } else {
        format!(
            "lapses at {} (in {seconds}s) unless its holder renews it",
            rfc3339(lock.expires_ms)
        )
    };
    format!(
        "Tenant {} is locked by {}.\n  owner {}, last heartbeat {}; {lapse}.\n",
        lock.tenant,
        lock.describe(),
        lock.owner,
        rfc3339(lock.renewed_ms)
    )
}
