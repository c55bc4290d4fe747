//! `blueprint init`: create an engagement workspace with the agency's profile.

use std::path::{Path, PathBuf};

use blueprint_emulator::Rehearsal;
use blueprint_engine::new_workspace::{self, ProfileValues};
use clap::Args;

use crate::{CommandError, Outcome};

/// Create an engagement workspace with the agency's profile (blueprint.toml).
///
/// A workspace is a directory with the agency's profile. Edit its
/// [params] (trusted IP ranges, allowed countries, break-glass accounts, contacts) and [plan]
/// (feature selection, exclusions with justification) before planning, and [actor] (who the
/// feature log names: a name and the role agency, partner or program) if the login name acting
/// for the agency is not right.
///
/// Credentials never go into the profile: a client secret comes from AZURE_CLIENT_SECRET, a
/// certificate from AZURE_CLIENT_CERTIFICATE_PATH or [connection] certificate_path.
///
/// Rehearse against a running emulator with --emulator READY_FILE (from `blueprint emulator
/// --ready-file`): the connection (authority, Graph URL, CA, app certificate) is filled in.
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct InitArgs {
    /// Directory for the workspace (created if missing).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// The agency's name as it appears in display names, e.g. "Department of Examples".
    #[arg(long)]
    pub agency: String,
    /// The agency's primary domain, e.g. examples.gov.au.
    #[arg(long)]
    pub domain: String,
    /// The agency acronym used in group names (letters and digits), e.g. DOE.
    #[arg(long)]
    pub prefix: String,
    /// The Entra tenant id (a GUID).
    #[arg(long)]
    pub tenant_id: Option<String>,
    /// Fill [connection] from an emulator's ready file.
    #[arg(long, value_name = "READY_FILE")]
    pub emulator: Option<PathBuf>,
    /// Replace an existing blueprint.toml.
    #[arg(long)]
    pub force: bool,
}

/// Reads an emulator's ready file: how a profile reaches its first tenant.
pub fn from_ready_file(path: &Path) -> Result<Rehearsal, CommandError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CommandError::Input(format!(
            "cannot read the emulator's ready file {}: {e}",
            path.display()
        ))
    })?;
    let ready: blueprint_emulator::ReadyInfo = serde_json::from_str(&text).map_err(|e| {
        CommandError::Input(format!(
            "{}: not an emulator ready file ({e})",
            path.display()
        ))
    })?;
    let tenant = ready.tenants.first().ok_or_else(|| {
        CommandError::Input(format!("{}: the emulator serves no tenant", path.display()))
    })?;
    ready.rehearsal(tenant).ok_or_else(|| {
        CommandError::Input(format!(
            "{}: no app with a certificate and write permissions",
            path.display()
        ))
    })
}

pub fn run(args: InitArgs) -> Result<Outcome, CommandError> {
    let (mut tenant_id, mut connection, mut break_glass, mut protective_markings) =
        (args.tenant_id.clone(), Vec::new(), Vec::new(), Vec::new());
    if let Some(ready) = &args.emulator {
        let rehearsal = from_ready_file(ready)?;
        tenant_id = tenant_id.or(Some(rehearsal.tenant_id));
        connection = rehearsal.connection;
        break_glass = rehearsal.break_glass;
        protective_markings = rehearsal.protective_markings;
    }
    let values = ProfileValues {
        agency: args.agency,
        domain: args.domain,
        prefix: args.prefix,
        tenant_id,
        break_glass,
        protective_markings,
        connection,
        ..ProfileValues::default()
    };
    let path = new_workspace::create(&args.dir, &values, args.force)
        .map_err(super::common::engine_error)?;
    println!("Created {}", path.display());
    println!(
        "Next: review [params] and [plan], then `blueprint plan -C {}`",
        args.dir.display()
    );
    Ok(Outcome::Success)
}
