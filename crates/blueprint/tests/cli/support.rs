//! Helpers shared by the command-line tests.

use std::path::PathBuf;
use std::process::{Command, Output};

/// The `blueprint` binary Cargo built for these tests.
pub fn blueprint() -> Command {
    Command::new(env!("CARGO_BIN_EXE_blueprint"))
}

/// Runs `blueprint` with the arguments and returns its output.
pub fn run(args: &[&str]) -> Output {
    blueprint().args(args).output().expect("run blueprint")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A directory under the workspace's target dir that lives as long as the returned guard.
pub fn temp_dir() -> tempfile::TempDir {
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    tempfile::tempdir_in(base).expect("temp dir")
}
