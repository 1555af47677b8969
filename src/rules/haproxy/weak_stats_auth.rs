//! `haproxy/weak-stats-auth`: statistics page credentials anyone can guess.

use std::collections::HashSet;

use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::ir::{Setting, Settings};
use crate::rules::{first_line, RuleContext};

declare_rule! {
    /// `stats auth USER:PASSWORD` with a default or trivially guessable password.
    ///
    /// ## What it does
    /// Flags statistics credentials whose password is empty, equal to the user name, shorter
    /// than 8 characters, or one of the passwords tutorials and scanners use (`admin`,
    /// `password`, `haproxy`, `123456`, …).
    ///
    /// ## Why is this bad?
    /// The statistics page shows every backend, server address and health state; with
    /// `stats admin` it also lets the visitor drain or disable servers. Default credentials
    /// are the first thing scanners try.
    ///
    /// ## Example
    /// ```haproxy
    /// listen stats
    ///     bind :8404
    ///     stats enable
    ///     stats auth admin:admin
    /// ```
    /// ## Use instead
    /// ```haproxy
    /// listen stats
    ///     bind 127.0.0.1:8404
    ///     stats enable
    ///     stats auth ops:"${STATS_PASSWORD}"
    /// ```
    pub WEAK_STATS_AUTH, "haproxy/weak-stats-auth", Warning, Some(check)
}

const COMMON: &[&str] = &[
    "admin",
    "administrator",
    "password",
    "passw0rd",
    "p@ssw0rd",
    "haproxy",
    "stats",
    "secret",
    "changeme",
    "default",
    "test",
    "root",
    "guest",
    "user",
    "qwerty",
    "letmein",
    "welcome",
    "123",
    "1234",
    "12345",
    "123456",
    "1234567",
    "12345678",
    "123456789",
    "111111",
    "000000",
];

/// Why a password is weak, if it is.
fn weakness(user: &str, pass: &str) -> Option<&'static str> {
    let lower = pass.to_lowercase();
    if pass.contains("${") || pass.starts_with('$') {
        // An environment variable: the value is not in the file.
        return None;
    }
    if pass.is_empty() {
        Some("the password is empty")
    } else if pass == user {
        Some("the password is the user name")
    } else if COMMON.contains(&lower.as_str()) {
        Some("the password is a well-known default")
    } else if pass.chars().count() < 8 {
        Some("the password is shorter than 8 characters")
    } else {
        None
    }
}

fn check(cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    let mut seen = HashSet::new();
    let scopes = cx
        .ir
        .defaults
        .iter()
        .map(|d| (&d.settings, d.origin))
        .chain(cx.ir.services.iter().map(|s| (&s.settings, s.origin)))
        .chain(cx.ir.pools.iter().map(|p| (&p.settings, p.origin)));
    for (settings, origin) in scopes {
        if !super::from_haproxy(cx.ir, origin) {
            continue;
        }
        for auth in auths(settings) {
            if !seen.insert(auth.origin) {
                continue;
            }
            if from_environment(cx, auth.origin) {
                // The words were read from the environment of the machine running lbc (a CI
                // runner, a laptop), not from the one HAProxy runs on.
                continue;
            }
            let (user, pass) = auth.value.split_once(':').unwrap_or((&auth.value, ""));
            let Some(why) = weakness(user, pass) else {
                continue;
            };
            let admin = settings.stats.as_ref().is_some_and(|s| s.admin.is_some());
            let risk = if admin {
                "; this page also has `stats admin`, so the visitor can disable servers"
            } else {
                ""
            };
            out.push(
                Diagnostic::new(
                    WEAK_STATS_AUTH.code,
                    Severity::Warning,
                    format!("weak statistics credentials for user `{user}`: {why}"),
                    auth.origin.span(),
                )
                .label(format!("guessable credentials{risk}"))
                .help("use a long random password (e.g. from an environment variable: `stats auth ops:\"${STATS_PASSWORD}\"`), and bind the page to an internal address"),
            );
        }
    }
}

/// Whether the line at `origin` reads an environment variable (`"${NAME}"`, `"$NAME"`).
fn from_environment(cx: &RuleContext, origin: crate::ir::Origin) -> bool {
    let text = &cx.sources.get(crate::source::FileId(origin.file)).text;
    let line = text
        .get(origin.start as usize..origin.end as usize)
        .unwrap_or("");
    line.contains("${") || line.contains("\"$")
}

fn auths(s: &Settings) -> &[Setting<String>] {
    s.stats.as_deref().map_or(&[], |s| s.auth.as_slice())
}
