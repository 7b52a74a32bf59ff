//! The `wmihunt` binary: parse the command line, run, exit with the documented code.

use std::process::ExitCode;
use wmihunt::Exit;

fn main() -> ExitCode {
    let exit = match wmihunt::cli::parse() {
        Ok(command) => wmihunt::run(command),
        Err(e) => {
            // --help and --version are not errors; everything else is a usage error.
            let _ = e.print();
            if e.use_stderr() {
                Exit::Failure
            } else {
                Exit::Success
            }
        }
    };
    ExitCode::from(exit.code() as u8)
}
