use std::process::ExitCode;

fn main() -> ExitCode {
    fidelio::tools::cli::main()
}
