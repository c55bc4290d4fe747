//! One module per subcommand.

pub mod attest;
pub mod catalogue;
pub mod common;
pub mod connect;
pub mod demo;
pub mod deploy;
pub mod doctor;
pub mod emulator;
pub mod evaluate;
pub mod guides;
pub mod init;
pub mod log;
pub mod next;
pub mod permissions;
pub mod plan;
pub mod rollback;
pub mod serve;
pub mod sprints;
pub mod status;
pub mod stories;
pub mod unlock;

use crate::cli::{Cli, Command};
use crate::{CommandError, Outcome};

pub fn dispatch(cli: Cli) -> Result<Outcome, CommandError> {
    match cli.command {
        Command::Catalogue(args) => catalogue::run(args),
        Command::Emulator(args) => emulator::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Init(args) => init::run(args),
        Command::Sprints(args) => sprints::run(args),
        Command::Stories(args) => stories::run(args),
        Command::Permissions(args) => permissions::run(args),
        Command::Connect(args) => connect::run(args),
        Command::Doctor(args) => doctor::run(args),
        Command::Plan(args) => plan::run(args),
        Command::Deploy(args) => deploy::run(args),
        Command::Evaluate(args) => evaluate::run(args),
        Command::Guides(args) => guides::run(args),
        Command::Log(args) => log::run(args),
        Command::Attest(args) => attest::run(args),
        Command::Status(args) => status::run(args),
        Command::Next(args) => next::run(args),
        Command::Rollback(args) => rollback::run(args),
        Command::Unlock(args) => unlock::run(args),
        Command::Serve(args) => serve::run(args),
    }
}
