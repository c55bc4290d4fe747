//! `blueprint catalogue`: list, show, validate and report coverage of the blueprint catalogue.

use std::fmt;
use std::path::{Path, PathBuf};

use blueprint_catalogue::schema::Area;
use blueprint_catalogue::{
    AgencyProfile, CATALOGUE_VERSION, Catalogue, CatalogueError, Diagnostic, Diagnostics, Feature,
    kinds,
};
use blueprint_engine::EngineError;
use blueprint_report::catalogue as report;
use clap::{Args, Subcommand};

use super::common::{Format, print_json};
use crate::{CommandError, Outcome};

/// The blueprint catalogue: every blueprint capability as a feature, traced to the ABAC.
///
/// Examples:
///   blueprint catalogue list --area identity
///   blueprint catalogue show ca-block-countries-not-allowed --profile blueprint.toml
///   blueprint catalogue validate agency-catalogue/
///   blueprint catalogue coverage --format json
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct CatalogueArgs {
    #[command(subcommand)]
    command: CatalogueCommand,
}

#[derive(Debug, Subcommand)]
enum CatalogueCommand {
    /// List the features, with their status (automated or manual) and ABAC reference.
    List {
        /// Only features of this area (identity, organisation, exchange, eop, teams,
        /// sharepoint, purview, defender, intune).
        #[arg(long, value_name = "AREA")]
        area: Option<String>,
        #[command(flatten)]
        common: Common,
    },
    /// Show one feature; with an agency profile, its desired state rendered for the agency.
    Show {
        /// The feature id (see `catalogue list`).
        id: String,
        /// The agency profile [default: ./blueprint.toml, when it exists].
        #[arg(long, value_name = "FILE")]
        profile: Option<PathBuf>,
        #[command(flatten)]
        common: Common,
    },
    /// Validate the built-in catalogue, or it with an agency's overlay directory.
    Validate {
        /// A directory of overlay files (*.yaml) that add, override or disable features.
        dir: Option<PathBuf>,
    },
    /// The ABAC coverage table: each section of the blueprint's ABAC documents and its status.
    Coverage {
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Debug, Args)]
struct Common {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Apply the overlay files of this directory to the built-in catalogue.
    #[arg(long, value_name = "DIR")]
    overlay: Option<PathBuf>,
}

pub fn run(args: CatalogueArgs) -> Result<Outcome, CommandError> {
    match args.command {
        CatalogueCommand::List { area, common } => list(area.as_deref(), &common),
        CatalogueCommand::Show {
            id,
            profile,
            common,
        } => show(&id, profile.as_deref(), &common),
        CatalogueCommand::Validate { dir } => validate(dir.as_deref()),
        CatalogueCommand::Coverage { common } => coverage(&common),
    }
}

fn load(overlay: Option<&Path>) -> Result<Catalogue, CommandError> {
    let result = match overlay {
        None => Catalogue::builtin(),
        Some(dir) => {
            if !dir.is_dir() {
                return Err(CommandError::Input(format!(
                    "{} is not a directory: give the directory that holds the agency's catalogue overlay files (*.yaml)",
                    dir.display()
                )));
            }
            Catalogue::with_overlay_dir(dir)
        }
    };
    result.map_err(|err| match err {
        CatalogueError::Invalid(diagnostics) => located("the catalogue is not valid", diagnostics),
        CatalogueError::Io { .. } => CommandError::Input(err.to_string()),
    })
}

fn list(area: Option<&str>, common: &Common) -> Result<Outcome, CommandError> {
    let area = match area {
        None => None,
        Some(text) => Some(Area::parse(text).ok_or_else(|| {
            let known: Vec<&str> = Area::ALL.iter().map(|a| a.as_str()).collect();
            CommandError::Input(format!(
                "unknown area `{text}`: use one of {}",
                known.join(", ")
            ))
        })?),
    };
    let catalogue = load(common.overlay.as_deref())?;
    let features: Vec<&Feature> = catalogue
        .features()
        .iter()
        .filter(|f| area.is_none_or(|a| f.doc.area == a))
        .collect();
    if common.format == Format::Json {
        print_json(&report::feature_list_json(&catalogue, &features));
    } else {
        print!("{}", report::render_feature_list_text(&features));
    }
    Ok(Outcome::Success)
}

fn show(id: &str, profile_path: Option<&Path>, common: &Common) -> Result<Outcome, CommandError> {
    let catalogue = load(common.overlay.as_deref())?;
    let feature = catalogue.feature(id).ok_or_else(|| {
        let ids: Vec<&str> = catalogue.features().iter().map(|f| f.id()).collect();
        let hint = kinds::did_you_mean(id, ids.iter().copied())
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
        CommandError::Input(format!(
            "no feature has the id `{id}`{hint}; `blueprint catalogue list` shows them all"
        ))
    })?;
    let profile = read_profile(profile_path)?;
    let objects = match &profile {
        Some(p) => Some(
            catalogue
                .render_feature(feature, p)
                .map_err(|d| located("the desired state cannot be rendered for this agency", d))?,
        ),
        None => None,
    };
    let rendered = profile
        .as_ref()
        .zip(objects.as_deref())
        .map(|(profile, objects)| report::Rendered { profile, objects });
    if common.format == Format::Json {
        print_json(&report::feature_json(&catalogue, feature, rendered));
    } else {
        print!(
            "{}",
            report::render_feature_text(&catalogue, feature, rendered)
        );
    }
    Ok(Outcome::Success)
}

/// The explicit profile, or `./blueprint.toml` when it exists, or none.
fn read_profile(explicit: Option<&Path>) -> Result<Option<AgencyProfile>, CommandError> {
    let default = PathBuf::from("blueprint.toml");
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None if default.is_file() => default,
        None => return Ok(None),
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        CommandError::Input(format!("cannot read the profile {}: {e}", path.display()))
    })?;
    match blueprint_engine::workspace::agency_profile(&path.display().to_string(), &text) {
        Ok(profile) => Ok(Some(profile)),
        Err(EngineError::Input(d)) => Err(located("the agency profile is not valid", d)),
        Err(e) => Err(super::common::engine_error(e)),
    }
}

fn validate(dir: Option<&Path>) -> Result<Outcome, CommandError> {
    let catalogue = load(dir)?;
    let overlays = catalogue
        .features()
        .iter()
        .filter(|f| f.origin == blueprint_catalogue::Origin::Overlay)
        .count();
    let disabled = catalogue
        .features()
        .iter()
        .filter(|f| f.disabled.is_some())
        .count();
    println!(
        "catalogue {CATALOGUE_VERSION} is valid: {} features ({overlays} from overlays, {disabled} disabled), dependency graph acyclic, all {} ABAC sections accounted for",
        catalogue.features().len(),
        catalogue.sections().len()
    );
    Ok(Outcome::Success)
}

fn coverage(common: &Common) -> Result<Outcome, CommandError> {
    let catalogue = load(common.overlay.as_deref())?;
    let coverage = catalogue.coverage();
    if common.format == Format::Json {
        print_json(&report::coverage_json(&coverage));
    } else {
        print!("{}", report::render_coverage_text(&coverage));
    }
    Ok(Outcome::Success)
}

// ---- diagnostics for miette ------------------------------------------------------------------

/// Wraps located catalogue or profile problems so the front end renders them with the file
/// name, line:column and the offending line.
fn located(summary: &str, diagnostics: Diagnostics) -> CommandError {
    let items: Vec<Located> = diagnostics.0.into_iter().map(Located::new).collect();
    if items.len() == 1 {
        let only = items.into_iter().next().expect("one item");
        return CommandError::Located(Box::new(only));
    }
    CommandError::Located(Box::new(Problems {
        summary: format!("{summary}: {} problems", items.len()),
        items,
    }))
}

#[derive(Debug)]
struct Located {
    diagnostic: Diagnostic,
    source: Option<miette::NamedSource<String>>,
    offset: Option<usize>,
}

impl Located {
    fn new(diagnostic: Diagnostic) -> Located {
        let source = diagnostic
            .source_text
            .as_ref()
            .map(|t| miette::NamedSource::new(diagnostic.file.clone(), t.to_string()));
        let offset = diagnostic.offset.or_else(|| {
            let text = diagnostic.source_text.as_deref()?;
            offset_of(text, diagnostic.line, diagnostic.column)
        });
        Located {
            diagnostic,
            source,
            offset,
        }
    }
}

/// Byte offset of a 1-based line and character column.
fn offset_of(text: &str, line: u64, column: u64) -> Option<usize> {
    let mut start = 0;
    for _ in 1..line {
        start += text.get(start..)?.find('\n')? + 1;
    }
    let rest = text.get(start..)?;
    let within: usize = rest
        .chars()
        .take(column.saturating_sub(1) as usize)
        .map(char::len_utf8)
        .sum();
    Some(start + within)
}

impl fmt::Display for Located {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The location is part of the message as well as the snippet header, so it survives
        // any renderer (plain logs, narrated output).
        write!(
            f,
            "{} ({})",
            self.diagnostic.message,
            self.diagnostic.location()
        )
    }
}

impl std::error::Error for Located {}

impl miette::Diagnostic for Located {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(format!(
            "catalogue::{}",
            self.diagnostic.kind.code()
        )))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.diagnostic
            .help
            .as_ref()
            .map(|h| Box::new(h.clone()) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let offset = self.offset?;
        self.source.as_ref()?;
        let len = self.diagnostic.len.max(1);
        Some(Box::new(std::iter::once(miette::LabeledSpan::new(
            Some("here".into()),
            offset,
            len,
        ))))
    }
}

#[derive(Debug)]
struct Problems {
    summary: String,
    items: Vec<Located>,
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary)
    }
}

impl std::error::Error for Problems {}

impl miette::Diagnostic for Problems {
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        Some(Box::new(
            self.items.iter().map(|i| i as &dyn miette::Diagnostic),
        ))
    }
}
