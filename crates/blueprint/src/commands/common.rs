//! What the tenant-facing commands share: the workspace flag, output formats, opening a
//! session (its progress drawn by [`crate::progress`]), and mapping engine errors to exit codes.

use std::path::PathBuf;

use blueprint_catalogue::permissions::Access;
use blueprint_engine::{EngineError, Session, StateLocation, Workspace};
use blueprint_store::Role;
use clap::{Args, ValueEnum};

use crate::CommandError;

#[derive(Debug, Clone, Args)]
pub struct WorkspaceArgs {
    /// The engagement workspace (holds blueprint.toml and .blueprint/).
    #[arg(
        long,
        short = 'C',
        value_name = "DIR",
        default_value = ".",
        global = true
    )]
    pub dir: PathBuf,

    /// Keep the engagement's state (journal, snapshots, feature log) in this database instead
    /// of the workspace's SQLite file: postgres://USER@HOST:PORT/DATABASE for a shared server,
    /// or sqlite://PATH. One database (or schema) per engagement.
    #[arg(
        long,
        value_name = "URL",
        env = "BLUEPRINT_DATABASE_URL",
        global = true,
        hide_env_values = true
    )]
    pub database: Option<String>,

    /// Who the feature log names for what this command records (e.g. jo@agency.gov.au).
    /// Default: the profile's [actor] name, then the login name. An empty value counts as none given.
    #[arg(long, value_name = "NAME", env = "BLUEPRINT_ACTOR", global = true)]
    pub actor: Option<String>,

    /// The role the actor acts in: agency (the agency itself; only it records phase
    /// decisions), partner (its technology partner) or program (the program office: it reads
    /// and evaluates, and changes nothing). Default: the profile's [actor] role, then agency.
    /// An empty value counts as none given.
    // Parsed in `open`, not by clap: clap hands an empty BLUEPRINT_ROLE to the parser, and
    // an empty setting must mean "not set", as it does for the actor's name.
    #[arg(
        long,
        value_name = "agency|partner|program",
        env = "BLUEPRINT_ROLE",
        global = true
    )]
    pub role: Option<String>,
}

impl WorkspaceArgs {
    /// Where the state lives, for commands that need no profile (the log).
    pub fn state(&self) -> StateLocation {
        StateLocation::for_workspace(&self.dir, self.database.as_deref())
    }

    /// Opens the workspace's profile and catalogue, with the state where these arguments say.
    pub fn open(&self) -> Result<Workspace, CommandError> {
        let role = self.role()?;
        Ok(Workspace::open(&self.dir)
            .map_err(engine_error)?
            .with_database(self.database.as_deref())
            .acting_as(self.actor.as_deref(), role))
    }

    /// `--role` (or BLUEPRINT_ROLE), when given and not empty.
    fn role(&self) -> Result<Option<Role>, CommandError> {
        match self.role.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(role) => role.parse().map(Some).map_err(|e: String| {
                CommandError::Input(format!("--role (or BLUEPRINT_ROLE): {e}"))
            }),
        }
    }
}

/// What `permissions` and `doctor` take: the workspace, which of its apps (the deploying one,
/// or the read-only one), and the output format.
#[derive(Debug, Args)]
pub struct AppArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// The read-only app (`blueprint connect --read-only`) and what plan, evaluate and doctor
    /// need, instead of the deploying app and what deploy needs.
    #[arg(long)]
    pub read_only: bool,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

impl AppArgs {
    pub fn access(&self) -> Access {
        access(self.read_only)
    }
}

/// The grants a `--read-only` flag asks about.
pub fn access(read_only: bool) -> Access {
    if read_only {
        Access::ReadOnly
    } else {
        Access::ReadWrite
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Text,
    Json,
}

/// Prints `value` as pretty JSON on standard output: what `--format json` gives everywhere.
pub fn print_json(value: &impl serde::Serialize) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

/// Writes `text` to the file `--out` names, or to standard output without one.
pub fn write_out(out: Option<&std::path::Path>, text: &str) -> Result<(), CommandError> {
    match out {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| CommandError::Failed(format!("writing {}: {e}", path.display()))),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}

impl From<blueprint_store::StoreError> for CommandError {
    /// The store could not be read or written: not the user's input.
    fn from(e: blueprint_store::StoreError) -> CommandError {
        CommandError::Failed(e.to_string())
    }
}

pub fn runtime() -> Result<tokio::runtime::Runtime, CommandError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CommandError::Failed(format!("starting the async runtime: {e}")))
}

/// An engine error with its exit code, worded for the command line ([`crate::words::error`]).
pub fn engine_error(e: EngineError) -> CommandError {
    let text = crate::words::error(&e);
    if e.is_input() {
        CommandError::Input(text)
    } else {
        CommandError::Failed(text)
    }
}

/// Runs `work` with the workspace's session, then closes the session's store whatever `work`
/// returned.
pub fn with_session<T>(
    args: &WorkspaceArgs,
    quiet: bool,
    work: impl FnOnce(&mut Session, &tokio::runtime::Runtime) -> Result<T, CommandError>,
) -> Result<T, CommandError> {
    let mut session = open_session(args, quiet)?;
    let rt = runtime()?;
    let result = work(&mut session, &rt);
    rt.block_on(session.close());
    result
}

fn open_session(args: &WorkspaceArgs, quiet: bool) -> Result<Session, CommandError> {
    Session::open(args.open()?, crate::progress::Terminal::new(quiet)).map_err(engine_error)
}

/// Asks a person to confirm a change to the tenant. Refused (exit 2) when nobody can answer:
/// a script must say `--yes`. Returns whether they agreed.
pub fn confirm(question: &str, what: &str) -> Result<bool, CommandError> {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() {
        return Err(CommandError::Input(format!(
            "{what} needs confirmation: run it in a terminal, or pass --yes"
        )));
    }
    eprint!("{question} [y/N] ");
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| CommandError::Failed(e.to_string()))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}
