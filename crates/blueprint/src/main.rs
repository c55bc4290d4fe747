//! The `blueprint` command. All the work happens in [`blueprint::run`]; this only maps its
//! outcome to the process exit code.

fn main() -> std::process::ExitCode {
    blueprint::run(std::env::args_os())
}
