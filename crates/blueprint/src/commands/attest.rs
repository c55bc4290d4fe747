//! `blueprint attest`: record that a person performed a manual feature, with evidence.

use blueprint_engine::engagement::{self, Evidence};
use clap::Args;

use super::common::{Format, WorkspaceArgs, engine_error, runtime};
use crate::{CommandError, Outcome};

/// Record in the feature log that a manual feature is in place, with evidence.
///
/// Manual features are settings no API reaches; `blueprint catalogue show FEATURE` lists their
/// portal steps. A person performs them, then attests here. The log keeps the evidence's name
/// and SHA-256, the note, who attested (--actor, --role), when, and the
/// feature's sprint; `blueprint status` then counts the feature as done.
///
/// --evidence is a file (a screenshot, an exported configuration, a signed change record):
/// it is read and its SHA-256 recorded with its file name, not its contents, so keep the file
/// with the engagement's records; anyone can later check it against the log with `sha256sum`.
/// Or it is an http(s) URL (a change ticket, a document in the records system): recorded as
/// given, with the SHA-256 of the URL's text. The URL is never fetched (attest makes no
/// network access), so the digest pins which document was named, not what it said.
///
/// Only manual features are attested: an automated feature is proven by `blueprint evaluate`
/// reading the live tenant, and a person's word does not override the tenant (there is no
/// --force). The program office role cannot attest.
#[derive(Debug, Args)]
pub struct AttestArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// The manual feature's id (`blueprint catalogue list`); it must be selected.
    #[arg(value_name = "FEATURE")]
    pub feature: String,
    /// The evidence: a FILE (read and digested) or an http(s) URL (recorded, never fetched).
    #[arg(long, value_name = "FILE|URL")]
    pub evidence: String,
    /// What was done and how it was checked, e.g. "Configured per ABAC 4.2; checked by the
    /// security team, change CHG-1042".
    #[arg(long)]
    pub note: String,
    /// `json` prints the recorded feature log entry (canonical form, with its hash).
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

pub fn run(args: AttestArgs) -> Result<Outcome, CommandError> {
    let workspace = args.workspace.open()?;
    let evidence = Evidence::from_arg(&args.evidence)
        .map_err(|e| engine_error(blueprint_engine::EngineError::from(e)))?;
    let entry = runtime()?
        .block_on(engagement::attest(
            &workspace,
            &args.feature,
            &evidence,
            &args.note,
        ))
        .map_err(engine_error)?;
    match args.format {
        Format::Json => println!("{}", entry.canonical_json(true)),
        Format::Text => {
            let sprint = entry
                .event
                .sprint
                .map(|s| format!(" (sprint {s})"))
                .unwrap_or_default();
            println!(
                "Attested {}{sprint}: evidence {} {}",
                args.feature, evidence.name, evidence.digest
            );
            println!(
                "Recorded as feature log entry {} by {} ({}).",
                entry.seq, entry.event.actor, entry.event.role
            );
        }
    }
    Ok(Outcome::Success)
}
