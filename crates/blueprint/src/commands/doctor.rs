//! `blueprint doctor`: can the workspace reach its tenant, and does its app hold what the
//! selected features need ([`blueprint_engine::doctor`] does the checking).

use blueprint_catalogue::permissions::Access;
use blueprint_engine::doctor::{self, Diagnosis, Status};
use clap::Args;

use super::common::{AppArgs, Format, engine_error, print_json, runtime};
use crate::{CommandError, Outcome};

/// Check the connection to the tenant: the way to Entra ID (DNS, TCP, the HTTPS_PROXY in use),
/// the credential's expiry, the token's permissions against what the selected features need,
/// and one cheap read per area.
///
/// Exit code 0 when everything the selected features need is there; 1 when something is
/// missing or failing (each missing permission named by Microsoft's name, with the features
/// that need it: run `blueprint connect`); 2 on a configuration error.
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub app: AppArgs,
}

pub fn run(args: DoctorArgs) -> Result<Outcome, CommandError> {
    let workspace = args.app.workspace.open()?;
    let access = args.app.access();
    let diagnosis = runtime()?
        .block_on(doctor::diagnose(&workspace, access))
        .map_err(engine_error)?;
    match args.app.format {
        Format::Json => print_json(&diagnosis),
        Format::Text => print!("{}", render(&diagnosis)),
    }
    if !diagnosis.missing_message.is_empty() {
        eprintln!(
            "{}{}",
            diagnosis.missing_message,
            crate::words::grant_help(access)
        );
    }
    Ok(Outcome::of(diagnosis.healthy()))
}

fn render(d: &Diagnosis) -> String {
    let mut out = format!(
        "Tenant {}, app {} ({}):\n",
        d.tenant_id,
        d.client_id,
        match d.access {
            Access::ReadOnly => "read-only",
            Access::ReadWrite => "deploying",
        }
    );
    let width = d.checks.iter().map(|c| c.name.len()).max().unwrap_or(0);
    for c in &d.checks {
        let mark = match c.status {
            Status::Ok => "ok  ",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
            Status::Skipped => "skip",
        };
        out.push_str(&format!(
            "  {mark}  {:<width$}  {}{}\n",
            c.name,
            c.detail,
            crate::words::remedy(c.remedy)
        ));
    }
    out.push_str(if d.healthy() {
        "All good.\n"
    } else {
        "Not ready: see the failures above.\n"
    });
    out
}
