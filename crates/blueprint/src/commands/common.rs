//! What the tenant-facing commands share: the workspace flag, output formats, opening a
//! session, reporting Graph's throttling as it happens, and mapping engine errors to exit codes.

use std::path::PathBuf;
use std::sync::Arc;

use blueprint_engine::{EngineError, Session, Workspace};
use blueprint_graph::GraphEvent;
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Text,
    Json,
}

pub fn runtime() -> Result<tokio::runtime::Runtime, CommandError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CommandError::Failed(format!("starting the async runtime: {e}")))
}

pub fn engine_error(e: EngineError) -> CommandError {
    if e.is_input() {
        CommandError::Input(e.to_string())
    } else {
        CommandError::Failed(e.to_string())
    }
}

/// Prints Graph's throttling and retries for a person, so a long wait is never a mystery.
pub fn observer(quiet: bool) -> Arc<dyn Fn(GraphEvent) + Send + Sync> {
    Arc::new(move |event| {
        if quiet {
            return;
        }
        match event {
            GraphEvent::Throttled { path, wait, .. } if wait.as_secs_f64() >= 0.5 => {
                eprintln!(
                    "  throttled by Microsoft Graph on {}, waiting {:.1} s",
                    short(&path),
                    wait.as_secs_f64()
                );
            }
            GraphEvent::Retrying {
                path,
                reason,
                wait,
                attempt,
            } => {
                eprintln!(
                    "  {reason} on {} (attempt {attempt}), retrying in {:.1} s",
                    short(&path),
                    wait.as_secs_f64()
                );
            }
            _ => {}
        }
    })
}

fn short(path: &str) -> &str {
    path.split('?').next().unwrap_or(path)
}

pub fn open_session(dir: &std::path::Path, quiet: bool) -> Result<Session, CommandError> {
    let workspace = Workspace::open(dir).map_err(engine_error)?;
    Session::open(workspace, observer(quiet)).map_err(engine_error)
}
