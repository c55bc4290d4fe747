//! The command-line front end: argument parsing, error reporting and exit codes.
//!
//! Exit codes are part of the contract (DESIGN.md): 0 success, 1 the command ran and found
//! failures, 2 bad usage, bad input or configuration.

mod cli;
mod commands;
mod progress;
mod words;

use std::ffi::OsString;
use std::process::ExitCode;

pub use cli::Cli;

/// What a command reports when it ran to completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything the command set out to do succeeded.
    Success,
    /// The command ran but found failures (an evaluation failed, a change failed).
    Failures,
}

impl Outcome {
    /// Success when everything `succeeded`, else failures (exit code 1).
    pub fn of(succeeded: bool) -> Outcome {
        if succeeded {
            Outcome::Success
        } else {
            Outcome::Failures
        }
    }
}

/// An error that stops a command, with the exit code it maps to.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum CommandError {
    /// Bad usage, bad input or bad configuration: exit code 2, nothing changed.
    #[error("{0}")]
    #[diagnostic(code(blueprint::input))]
    Input(String),
    /// A diagnostic that already carries its source location (file:line:col).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Located(Box<dyn miette::Diagnostic + Send + Sync>),
    /// The command could not run to completion for a reason outside the input.
    #[error("{0}")]
    #[diagnostic(code(blueprint::failed))]
    Failed(String),
}

impl CommandError {
    fn exit_code(&self) -> u8 {
        match self {
            CommandError::Input(_) | CommandError::Located(_) => 2,
            CommandError::Failed(_) => 1,
        }
    }
}

/// Parses the arguments, runs the command, prints any error, and returns the exit code.
pub fn run<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    // One rustls crypto provider is compiled in (aws-lc-rs; deny.toml bans ring). Installing it
    // explicitly keeps that choice from depending on which crate features a dependency enables.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();

    let cli = match <Cli as clap::Parser>::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() { 2 } else { 0 };
            let _ = err.print();
            return ExitCode::from(code);
        }
    };
    cli::init_tracing(cli.verbose);
    match commands::dispatch(cli) {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Failures) => ExitCode::from(1),
        Err(err) => {
            let code = err.exit_code();
            eprintln!("{:?}", miette::Report::new(err));
            ExitCode::from(code)
        }
    }
}
