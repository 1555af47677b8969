//! `lbc rule`: prints a rule's documentation, or lists every rule.

use super::{EXIT_FAILURE, EXIT_OK};
use crate::rules;

#[derive(clap::Args, Debug)]
pub struct RuleArgs {
    /// The rule's code, e.g. `nginx/ip-hash-backup`; lists all rules when omitted.
    pub code: Option<String>,
}

pub fn run(a: &RuleArgs) -> i32 {
    match &a.code {
        None => {
            for r in rules::all() {
                super::out(&format!(
                    "{:<34} {:<8} {}\n",
                    r.code,
                    r.severity,
                    r.summary_text()
                ));
            }
            EXIT_OK
        }
        Some(code) => match rules::find(code) {
            Some(r) => {
                super::out(&format!(
                    "# {}\n\nDefault severity: {}\n\n{}\n",
                    r.code,
                    r.severity,
                    rules::unindent(r.doc)
                ));
                EXIT_OK
            }
            None => {
                eprintln!("error: no rule `{code}` (see `lbc rule` for the list)");
                EXIT_FAILURE
            }
        },
    }
}
