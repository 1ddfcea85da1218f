use std::process::ExitCode;

fn main() -> ExitCode {
    fidelio::cli::main()
}
