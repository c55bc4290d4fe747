//! `blueprint log`: show, verify and export the workspace's hash-chained feature log.

use std::path::{Path, PathBuf};

use blueprint_engine::StateLocation;
use blueprint_store::Store;
use clap::{Args, Subcommand};

use super::common::{Format, WorkspaceArgs, runtime};
use crate::{CommandError, Outcome};

/// Show, verify or export the feature log.
///
/// The feature log is the append-only record of everything that happened to every feature —
/// selected, excluded (and why), scheduled, deployed, verified, drifted, rolled back, attested,
/// phase decisions — with who, in which role, when, and digests of the object before and
/// after. Each entry's SHA-256 covers its canonical JSON and the previous entry's hash, so an
/// edited, removed or reordered entry is detected by `blueprint log verify`, or by anyone's own
/// script over `blueprint log export` (the canonical form is in the README).
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct LogArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    #[command(subcommand)]
    pub action: Option<LogAction>,
    /// Only this feature's entries.
    #[arg(long, value_name = "ID")]
    pub feature: Option<String>,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum LogAction {
    /// Recompute every entry's hash in order. Exits 0 with the number of entries verified, 1
    /// naming the first entry that does not verify.
    Verify,
    /// Write the log as JSON lines: one entry per line, in canonical form, with its hash.
    Export {
        /// Write to FILE instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

pub fn run(args: LogArgs) -> Result<Outcome, CommandError> {
    let path = args.workspace.state();
    let rt = runtime()?;
    rt.block_on(async {
        match args.action {
            None => show(&path, args.feature.as_deref(), args.format).await,
            Some(LogAction::Verify) => verify(&path).await,
            Some(LogAction::Export { out }) => export(&path, out.as_deref()).await,
        }
    })
}

/// The workspace's store, or None when it has none yet (an empty log): reading the log never
/// creates one.
async fn open(state: &StateLocation) -> Result<Option<Store>, CommandError> {
    state
        .open_existing()
        .await
        .map_err(|e| CommandError::Failed(e.to_string()))
}

async fn show(
    path: &StateLocation,
    feature: Option<&str>,
    format: Format,
) -> Result<Outcome, CommandError> {
    let entries = match open(path).await? {
        Some(store) => store.log(feature).await?,
        None => Vec::new(),
    };
    match format {
        Format::Json => println!("{}", blueprint_report::render_log_json(&entries)),
        Format::Text => print!("{}", blueprint_report::render_log_text(&entries)),
    }
    Ok(Outcome::Success)
}

async fn verify(path: &StateLocation) -> Result<Outcome, CommandError> {
    let Some(store) = open(path).await? else {
        println!("The feature log is empty: 0 entries verified.");
        return Ok(Outcome::Success);
    };
    match store.verify_log().await? {
        Ok(count) => {
            println!("The feature log verifies: {count} entries, one unbroken chain.");
            Ok(Outcome::Success)
        }
        Err(broken) => {
            eprintln!(
                "{broken}\nEntries before {} verify; this one and everything after it can no longer be trusted. Compare with an earlier export to see what changed.",
                broken.seq
            );
            Ok(Outcome::Failures)
        }
    }
}

async fn export(path: &StateLocation, out: Option<&Path>) -> Result<Outcome, CommandError> {
    let store = open(path).await?;
    let write_err =
        |p: &Path, e: std::io::Error| CommandError::Failed(format!("writing {}: {e}", p.display()));
    match out {
        Some(file) => {
            let f = std::fs::File::create(file).map_err(|e| write_err(file, e))?;
            let mut w = std::io::BufWriter::new(f);
            let count = match &store {
                Some(store) => store.export_log(&mut w).await?,
                None => 0,
            };
            eprintln!("{count} feature log entries written to {}", file.display());
        }
        None => {
            let mut w = std::io::BufWriter::new(std::io::stdout());
            if let Some(store) = &store {
                store.export_log(&mut w).await?;
            }
        }
    }
    Ok(Outcome::Success)
}
