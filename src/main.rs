//! The `lbc` binary: parses the command line and hands over to [`lbc::cli`].
fn main() {}
