//! `blueprint init`: create an engagement workspace with the agency's profile.

use std::path::{Path, PathBuf};

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

/// What goes into a new profile.
pub struct ProfileValues {
    pub agency: String,
    pub domain: String,
    pub prefix: String,
    pub tenant_id: Option<String>,
    pub break_glass: Vec<String>,
    pub connection: Vec<(String, String)>,
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

pub fn profile_text(v: &ProfileValues) -> String {
    let mut t = String::from(
        "# The agency's profile for blueprint: who the agency is, how to reach its tenant, and\n# what it implements. Secrets never go here.\n\n[agency]\n",
    );
    t.push_str(&format!(
        "name = {}\ndomain = {}\nprefix = {}\n",
        quote(&v.agency),
        quote(&v.domain),
        quote(&v.prefix)
    ));
    if let Some(id) = &v.tenant_id {
        t.push_str(&format!("tenant_id = {}\n", quote(id)));
    }
    t.push_str("implementation = \"cloud-native\"\n\n[params]\n");
    t.push_str("# The agency's internet egress ranges (the trusted \"<Agency> Internal Network\" location).\n");
    t.push_str("trusted_ip_ranges = [\"203.0.113.0/24\"]\n");
    t.push_str("# Countries sign-ins may come from (ISO 3166 alpha-2); the blueprint allows Australia only.\n");
    t.push_str("allowed_countries = [\"AU\"]\n");
    t.push_str("# Emergency access accounts: checked to exist and be excluded from conditional access; never created.\n");
    let bg: Vec<String> = v.break_glass.iter().map(|u| quote(u)).collect();
    t.push_str(&format!("break_glass_upns = [{}]\n", bg.join(", ")));
    t.push_str(&format!(
        "sharing_allowed_domains = [{}]\n",
        quote(&v.domain)
    ));
    t.push_str("# The terms of use expire annually from this date (the blueprint: 1 July).\n");
    t.push_str(&format!(
        "terms_of_use_expiry_start = {}\n",
        quote(&next_first_of_july())
    ));
    t.push_str("# The agency's Acceptable Use Policy (PDF), relative to this file; init writes a placeholder.\n");
    t.push_str(&format!("terms_of_use_pdf = {}\n", quote(TERMS_PDF)));
    t.push_str("\n[params.contacts]\n");
    t.push_str(&format!(
        "group_expiration = {}\n",
        quote(&format!("ict@{}", v.domain))
    ));
    t.push_str(&format!(
        "technical = {}\nsecurity = {}\n",
        quote(&format!("ict@{}", v.domain)),
        quote(&format!("security@{}", v.domain))
    ));
    t.push_str("\n[connection]\n");
    if v.connection.is_empty() {
        t.push_str("# tenant_id and client_id, or AZURE_TENANT_ID and AZURE_CLIENT_ID in the environment.\n");
        t.push_str("# certificate_path = \"app.pem\"   # or AZURE_CLIENT_SECRET / AZURE_CLIENT_CERTIFICATE_PATH\n");
    }
    for (k, val) in &v.connection {
        t.push_str(&format!("{k} = {}\n", quote(val)));
    }
    t.push_str("\n[plan]\n# Feature ids to implement; empty means the whole catalogue (`blueprint catalogue list`).\nfeatures = []\n# exclude = [{ feature = \"…\", justification = \"why the agency departs from the blueprint\" }]\n# Story points the team completes in one sprint (`blueprint sprints plan`); default 20.\n# capacity = 20\n# Sprint pins, as a [plan.pins] table: feature-id = sprint number.\n");
    t.push_str("\n# Who the feature log names when this workspace records something (--actor and --role,\n# or BLUEPRINT_ACTOR and BLUEPRINT_ROLE, override it; default: the login name, as the agency).\n# [actor]\n# name = \"jo@agency.gov.au\"\n# role = \"agency\"   # agency, partner (its technology partner) or program (the program office)\n");
    t
}

/// What an emulator's ready file gives a profile.
pub struct Rehearsal {
    pub tenant_id: String,
    /// `[connection]` entries.
    pub connection: Vec<(String, String)>,
    /// The emulated tenant's break-glass accounts.
    pub break_glass: Vec<String>,
}

/// Reads an emulator's ready file into connection values and the tenant's break-glass UPNs.
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
    let app = tenant
        .apps
        .iter()
        .find(|a| {
            a.certificate_path.is_some() && a.permissions.iter().any(|p| p.contains("ReadWrite"))
        })
        .ok_or_else(|| {
            CommandError::Input(format!(
                "{}: no app with a certificate and write permissions",
                path.display()
            ))
        })?;
    let mut connection = vec![
        ("tenant_id".to_string(), tenant.id.clone()),
        ("client_id".to_string(), app.client_id.clone()),
        ("authority".to_string(), ready.authority.clone()),
        ("graph".to_string(), ready.graph.clone()),
    ];
    if !ready.exchange.is_empty() {
        connection.push(("exchange".into(), ready.exchange.clone()));
    }
    if let Some(p) = &app.certificate_path {
        connection.push(("certificate_path".into(), p.display().to_string()));
    }
    if let Some(p) = &app.private_key_path {
        connection.push(("private_key_path".into(), p.display().to_string()));
    }
    if let Some(p) = &ready.ca_file {
        connection.push(("ca_file".into(), p.display().to_string()));
    }
    let break_glass = vec![
        format!("breakglass01@{}", tenant.domain),
        format!("breakglass02@{}", tenant.domain),
    ];
    Ok(Rehearsal {
        tenant_id: tenant.id.clone(),
        connection,
        break_glass,
    })
}

use blueprint_engine::files::{
    PLACEHOLDER_TERMS_FILE as TERMS_PDF, PLACEHOLDER_TERMS_PDF as PLACEHOLDER_PDF,
};

fn next_first_of_july() -> String {
    let today = time::OffsetDateTime::now_utc().date();
    let year = if today.month() as u8 >= 7 {
        today.year() + 1
    } else {
        today.year()
    };
    format!("{year}-07-01")
}

pub fn write_profile(
    dir: &Path,
    values: &ProfileValues,
    force: bool,
) -> Result<PathBuf, CommandError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| CommandError::Input(format!("cannot create {}: {e}", dir.display())))?;
    let path = dir.join(blueprint_engine::workspace::PROFILE_FILE);
    if path.exists() && !force {
        return Err(CommandError::Input(format!(
            "{} already exists; pass --force to replace it",
            path.display()
        )));
    }
    std::fs::write(&path, profile_text(values))
        .map_err(|e| CommandError::Failed(format!("writing {}: {e}", path.display())))?;
    let pdf = dir.join(TERMS_PDF);
    if !pdf.exists() {
        std::fs::write(&pdf, PLACEHOLDER_PDF)
            .map_err(|e| CommandError::Failed(format!("writing {}: {e}", pdf.display())))?;
    }
    Ok(path)
}

pub fn run(args: InitArgs) -> Result<Outcome, CommandError> {
    let (mut tenant_id, mut connection, mut break_glass) =
        (args.tenant_id.clone(), Vec::new(), Vec::new());
    if let Some(ready) = &args.emulator {
        let rehearsal = from_ready_file(ready)?;
        tenant_id = tenant_id.or(Some(rehearsal.tenant_id));
        connection = rehearsal.connection;
        break_glass = rehearsal.break_glass;
    }
    let values = ProfileValues {
        agency: args.agency,
        domain: args.domain,
        prefix: args.prefix,
        tenant_id,
        break_glass,
        connection,
    };
    let previous = std::fs::read(blueprint_engine::Workspace::profile_path(&args.dir)).ok();
    let path = write_profile(&args.dir, &values, args.force)?;
    // Validate what was written, so a bad --domain or --prefix is reported now, located.
    // A profile that does not validate is taken back: the one it replaced (with --force)
    // comes back, so a failed init leaves the directory as it was.
    blueprint_engine::Workspace::open(&args.dir).map_err(|e| {
        let _ = match &previous {
            Some(bytes) => std::fs::write(&path, bytes),
            None => std::fs::remove_file(&path),
        };
        super::common::engine_error(e)
    })?;
    blueprint_engine::state::prepare_state_dir(&args.dir)
        .map_err(|e| CommandError::Failed(e.to_string()))?;
    println!("Created {}", path.display());
    println!(
        "Next: review [params] and [plan], then `blueprint plan -C {}`",
        args.dir.display()
    );
    Ok(Outcome::Success)
}
