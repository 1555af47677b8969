//! The `lbc` binary: parses the command line and hands over to [`lbc::cli`].
fn main() {
    std::process::exit(lbc::cli::run(std::env::args_os()));
}
