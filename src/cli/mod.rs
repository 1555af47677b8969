//! The command line: argument parsing (clap) and one module per subcommand.

mod check;
mod convert;
mod fmt;
mod rule;
mod serve;

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::load::LoadOptions;
use crate::syntax::nginx::directives as dt;

/// Exit codes: no errors, errors found, lbc could not run.
pub const EXIT_OK: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_FAILURE: i32 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "lbc",
    version,
    about = "Config compiler, linter and migration tool for nginx, HAProxy, keepalived and LVS"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check files for mistakes; files given together are one deployment.
    Check(check::CheckArgs),
    /// Convert files to another format through the IR.
    Convert(convert::ConvertArgs),
    /// Rewrite nginx and HAProxy files in the canonical layout (`--check` for CI).
    Fmt(fmt::FmtArgs),
    /// Show the documentation of a rule, or list all rules.
    Rule(rule::RuleArgs),
    /// Serve HTTP with the built-in runtime (`--check`: only tell whether it would start).
    Serve(serve::ServeArgs),
}

/// Options shared by the commands that read configs.
#[derive(clap::Args, Debug, Clone)]
pub struct InputArgs {
    /// Directory relative `include`s are resolved against (default: the file's directory).
    #[arg(long, value_name = "DIR")]
    pub prefix: Option<PathBuf>,
    /// Resolve absolute `include` paths under this directory (a copy of a server's files).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Context of an nginx fragment (inferred when not given).
    #[arg(long, value_enum)]
    pub context: Option<ContextArg>,
    /// Input format (detected from the name and content when not given).
    #[arg(long, value_enum)]
    pub from: Option<FormatArg>,
}

#[derive(ValueEnum, Debug, Clone, Copy)]
pub enum ContextArg {
    Main,
    Http,
    Server,
    Location,
    Stream,
    StreamServer,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatArg {
    Nginx,
    Haproxy,
    Keepalived,
    /// ipvsadm scripts, `ipvsadm-save` files and `ipvsadm -L -n` listings.
    Ipvsadm,
    Yaml,
    Json,
}

impl InputArgs {
    pub fn load_options(&self) -> LoadOptions {
        LoadOptions {
            from: self.from.map(|f| match f {
                FormatArg::Nginx => crate::ir::Format::Nginx,
                FormatArg::Haproxy => crate::ir::Format::Haproxy,
                FormatArg::Keepalived => crate::ir::Format::Keepalived,
                FormatArg::Ipvsadm => crate::ir::Format::Ipvsadm,
                FormatArg::Yaml => crate::ir::Format::Yaml,
                FormatArg::Json => crate::ir::Format::Json,
            }),
            prefix: self.prefix.clone(),
            root: self.root.clone(),
            context: self.context.map(|c| match c {
                ContextArg::Main => dt::MAIN,
                ContextArg::Http => dt::HTTP,
                ContextArg::Server => dt::HTTP_SRV,
                ContextArg::Location => dt::HTTP_LOC,
                ContextArg::Stream => dt::STREAM,
                ContextArg::StreamServer => dt::STREAM_SRV,
            }),
            check_only: false,
        }
    }
}

/// Writes to stdout. Errors are ignored: when the reader went away (`lbc check … | head`) the
/// rest of the output has nowhere to go, and the exit code still tells the result.
pub fn out(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

/// Whether to colour output written to stdout.
pub fn use_color() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
}

/// Runs the command line; returns the process exit code.
pub fn run(args: impl IntoIterator<Item = std::ffi::OsString>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                EXIT_FAILURE
            } else {
                EXIT_OK
            };
        }
    };
    crate::timings::mark("command line read");
    match cli.command {
        Command::Check(a) => check::run(&a),
        Command::Convert(a) => convert::run(&a),
        Command::Fmt(a) => fmt::run(&a),
        Command::Rule(a) => rule::run(&a),
        Command::Serve(a) => serve::run(&a),
    }
}
