//! One module per subcommand.

pub mod emulator;

use crate::cli::{Cli, Command};
use crate::{CommandError, Outcome};

pub fn dispatch(cli: Cli) -> Result<Outcome, CommandError> {
    match cli.command {
        Command::Emulator(args) => emulator::run(args),
    }
}
