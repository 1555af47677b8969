//! `lbc check`: runs every rule over files analysed as one deployment.

use std::path::PathBuf;

use clap::ValueEnum;

use super::{InputArgs, EXIT_FAILURE, EXIT_FINDINGS, EXIT_OK};
use crate::diagnostic::{self, Severity};
use crate::load::{load, LoadOptions};

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Files (or directories) to check together.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: OutputFormat,
    /// Exit with 1 when there are warnings, too.
    #[arg(long)]
    pub deny_warnings: bool,
    #[command(flatten)]
    pub input: InputArgs,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Human,
    Json,
}

pub fn run(a: &CheckArgs) -> i32 {
    let opts = LoadOptions {
        check_only: true,
        ..a.input.load_options()
    };
    let loaded = match load(&a.files, &opts) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_FAILURE;
        }
    };
    crate::timings::mark("loaded");
    let diags = loaded.check();
    crate::timings::mark("checked");
    let (errors, warnings, infos) = diagnostic::counts(&diags);
    match a.format {
        OutputFormat::Json => {
            super::out(&(diagnostic::render_json(&loaded.sources, &diags, loaded.inputs) + "\n"))
        }
        OutputFormat::Human => {
            let width = std::env::var("COLUMNS")
                .ok()
                .and_then(|c| c.parse().ok())
                .unwrap_or(100);
            super::out(&diagnostic::render_human(
                &loaded.sources,
                &diags,
                super::use_color(),
                width,
            ));
            let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
            super::out(&format!(
                "{}, {}, {} info in {}\n",
                plural(errors, "error"),
                plural(warnings, "warning"),
                infos,
                plural(loaded.inputs, "file")
            ));
        }
    }
    let fail =
        errors > 0 || (a.deny_warnings && diags.iter().any(|d| d.severity == Severity::Warning));
    crate::timings::mark("printed");
    // The process is about to exit: freeing a large IR node by node only costs time.
    std::mem::forget(loaded);
    std::mem::forget(diags);
    if fail {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}
