//! `lbc convert`: reads files into the IR and writes it in another format.

use std::path::PathBuf;

use clap::ValueEnum;

use super::{InputArgs, EXIT_FAILURE, EXIT_FINDINGS, EXIT_OK};
use crate::diagnostic::{self, Severity};
use crate::load::load;

#[derive(clap::Args, Debug)]
pub struct ConvertArgs {
    /// Files to convert together.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Target format.
    #[arg(long, value_enum)]
    pub to: Target,
    /// Write to this file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub input: InputArgs,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Yaml,
    Json,
}

pub fn run(a: &ConvertArgs) -> i32 {
    let loaded = match load(&a.files, &a.input.load_options()) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_FAILURE;
        }
    };
    let mut diags = loaded.diagnostics.clone();
    diagnostic::sort(&mut diags);
    if !diags.is_empty() {
        eprint!(
            "{}",
            diagnostic::render_human(&loaded.sources, &diags, false, 100)
        );
    }
    if diags.iter().any(|d| d.severity == Severity::Error) {
        eprintln!("error: not converting: the input has errors");
        return EXIT_FINDINGS;
    }
    let text = match a.to {
        Target::Yaml => serde_yaml::to_string(&loaded.ir).expect("the IR serializes"),
        Target::Json => serde_json::to_string_pretty(&loaded.ir).expect("the IR serializes") + "\n",
    };
    match &a.output {
        Some(path) => {
            if let Err(e) = std::fs::write(path, text) {
                eprintln!("error: cannot write {}: {e}", path.display());
                return EXIT_FAILURE;
            }
        }
        None => super::out(&text),
    }
    EXIT_OK
}
