//! `haproxy/defaults-inheritance`: `from` naming no (or two) `defaults` sections, and TCP/HTTP
//! rules in a `defaults` section HAProxy will not let proxies inherit.

use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{first_line, RuleContext};
use crate::source::{FileId, Span};
use crate::syntax::haproxy::cst::Section;
use crate::syntax::text::TextRange;

declare_rule! {
    /// A proxy inheriting from a `defaults` section HAProxy cannot find or will not let it use:
    /// `from` naming no earlier `defaults` (or two of them), TCP/HTTP rules in an anonymous
    /// `defaults`, or a rules-defining `defaults` inherited where HAProxy forbids it.
    ///
    /// ## What it does
    /// Follows HAProxy 2.6's reading of `defaults NAME` sections, in file order:
    ///
    /// - `frontend fe from NAME` (or `defaults B from NAME`) needs a `defaults NAME` *before*
    ///   it, and only one: HAProxy looks back only, and a name given to two sections is
    ///   ambiguous.
    /// - TCP/HTTP rules (`tcp-request`, `tcp-response`, `http-request`, `http-response`,
    ///   `http-after-response`) and `acl` lines are only allowed in a named `defaults`.
    /// - A `defaults` section defining such rules cannot be inherited by another `defaults`,
    ///   nor by a `listen`, nor by frontends *and* backends: its rules run either on the
    ///   frontend side or on the backend side.
    /// - A `defaults` section both named by `from` and used implicitly (as the last `defaults`
    ///   before a proxy without `from`) is a warning: HAProxy alerts on the mix but starts.
    ///
    /// ## Why is this bad?
    /// HAProxy refuses to start (`defaults section 'web' not found for frontend 'fe'`,
    /// `'http-request' not allowed in anonymous 'defaults' section`, `frontends and backends
    /// cannot inherit from the same defaults section if it defines TCP/HTTP rules`). Where it
    /// starts, a mixed use makes a change to the named section reach proxies its author did
    /// not mean to change.
    ///
    /// ## Example
    /// ```haproxy
    /// defaults
    ///     mode http
    ///     http-request set-header X-Env prod
    /// frontend fe from web
    ///     bind :80
    ///     default_backend app
    /// ```
    /// ## Use instead
    /// ```haproxy
    /// defaults web
    ///     mode http
    ///     http-request set-header X-Env prod
    /// frontend fe from web
    ///     bind :80
    ///     default_backend app
    /// ```
    pub DEFAULTS_INHERITANCE, "haproxy/defaults-inheritance", Error, Some(check)
}

/// The keywords HAProxy counts as TCP/HTTP rules of a `defaults` section.
const RULES: &[&str] = &[
    "tcp-request",
    "tcp-response",
    "http-request",
    "http-response",
    "http-after-response",
];

/// A `defaults` section as the proxies after it see it.
struct Defaults {
    name: Option<String>,
    header: Span,
    /// Its first TCP/HTTP rule: keyword and where it is.
    rules: Option<(String, Span)>,
    /// The first proxy naming it with `from`, and the first using it as the last `defaults`.
    explicit: Option<Span>,
    implicit: Option<Span>,
    /// The first frontend and the first backend inheriting its rules.
    frontend: Option<Span>,
    backend: Option<Span>,
    mixed: bool,
}

fn check(cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    // HAProxy carries the `defaults` sections from one file to the next.
    let mut seen: Vec<Defaults> = Vec::new();
    for l in cx.haproxy {
        let src = &cx.sources.get(l.file).text;
        for section in &l.tree.sections {
            if l.skipped.contains(&section.header.range.start) {
                continue;
            }
            let kind = section.kind(src);
            if !matches!(kind, "defaults" | "frontend" | "backend" | "listen") {
                continue;
            }
            let cx = Cx {
                file: l.file,
                src,
                section,
                kind,
                all: &l.tree.sections,
            };
            let from = cx.from();
            let parent = match &from {
                Some((name, range)) => cx.resolve(&seen, name, *range, out),
                None if kind == "defaults" => None,
                None => seen.len().checked_sub(1),
            };
            if kind == "defaults" {
                let read = section
                    .lines
                    .iter()
                    .filter(|line| !l.skipped.contains(&line.range.start));
                let mut rules = None;
                for line in read {
                    let ki = line.keyword_index(src);
                    let word = &line.words[ki];
                    let name = word.raw(src);
                    if !RULES.contains(&name) && name != "acl" {
                        continue;
                    }
                    if section.name(src).is_none() {
                        out.push(anonymous(cx.span(word.range), name));
                    } else if rules.is_none() && name != "acl" {
                        rules = Some((name.to_string(), cx.span(line.range)));
                    }
                }
                if let (Some(p), Some((_, range))) = (parent, &from) {
                    if let Some((kw, at)) = &seen[p].rules {
                        out.push(
                            Diagnostic::new(
                                DEFAULTS_INHERITANCE.code,
                                Severity::Error,
                                "a defaults section cannot inherit from a defaults section defining TCP/HTTP rules",
                                cx.span(*range),
                            )
                            .label("this section inherits the rules")
                            .with_secondary(*at, format!("`{kw}` is a TCP/HTTP rule"))
                            .help("move the rules to the sections that use them, or inherit from a defaults section without rules"),
                        );
                    }
                }
                seen.push(Defaults {
                    name: section.name(src),
                    header: cx.span(section.header.range),
                    rules,
                    explicit: None,
                    implicit: None,
                    frontend: None,
                    backend: None,
                    mixed: false,
                });
                continue;
            }
            let Some(p) = parent else { continue };
            let here = cx.span(from.as_ref().map_or(section.header.range, |(_, r)| *r));
            cx.use_defaults(&mut seen[p], here, from.is_some(), out);
        }
    }
}

/// One proxy section being read.
struct Cx<'a> {
    file: FileId,
    src: &'a str,
    section: &'a Section,
    kind: &'a str,
    /// Every section of the file.
    all: &'a [Section],
}

impl Cx<'_> {
    fn span(&self, r: TextRange) -> Span {
        Span::new(self.file, r.start, r.end)
    }

    /// The `from NAME` of the header: the name and where it is written.
    fn from(&self) -> Option<(String, TextRange)> {
        let words = &self.section.header.words;
        let i = words.iter().position(|w| w.raw(self.src) == "from")?;
        let w = words.get(i + 1)?;
        Some((w.value(self.src), w.range))
    }

    fn what(&self) -> String {
        match self.section.name(self.src) {
            Some(n) => format!("{} `{n}`", self.kind),
            None => self.kind.to_string(),
        }
    }

    /// The one `defaults NAME` before this section, or an error.
    fn resolve(
        &self,
        seen: &[Defaults],
        name: &str,
        at: TextRange,
        out: &mut Vec<Diagnostic>,
    ) -> Option<usize> {
        let found: Vec<usize> = (0..seen.len())
            .filter(|&i| seen[i].name.as_deref() == Some(name))
            .collect();
        match found[..] {
            [one] => Some(one),
            [] => {
                let mut d = Diagnostic::new(
                    DEFAULTS_INHERITANCE.code,
                    Severity::Error,
                    format!("defaults section `{name}` not found for {}", self.what()),
                    self.span(at),
                )
                .label(format!("no `defaults {name}` before this line"));
                let names = seen.iter().filter_map(|d| d.name.as_deref());
                if self.later(name) {
                    d = d.help(format!(
                        "`defaults {name}` comes later in the file: HAProxy only looks at the sections before; move it up"
                    ));
                } else if let Some(guess) = super::suggest(name, names) {
                    d = d.help(format!("did you mean `{guess}`?"));
                }
                out.push(d);
                None
            }
            [first, .., last] => {
                out.push(
                    Diagnostic::new(
                        DEFAULTS_INHERITANCE.code,
                        Severity::Error,
                        format!(
                            "ambiguous defaults section name `{name}` referenced by {}",
                            self.what()
                        ),
                        self.span(at),
                    )
                    .label("more than one `defaults` section has this name")
                    .with_secondary(seen[first].header, "one is here")
                    .with_secondary(seen[last].header, "another is here")
                    .help("give each defaults section its own name"),
                );
                None
            }
        }
    }

    /// Whether a `defaults NAME` section comes after this one (HAProxy will not see it).
    fn later(&self, name: &str) -> bool {
        self.all.iter().any(|s| {
            s.header.range.start > self.section.header.range.start
                && s.kind(self.src) == "defaults"
                && s.name(self.src).as_deref() == Some(name)
        })
    }

    /// Records that this proxy inherits `d` (explicitly with `from` or as the last defaults)
    /// and reports what HAProxy refuses or alerts on.
    fn use_defaults(
        &self,
        d: &mut Defaults,
        here: Span,
        explicit: bool,
        out: &mut Vec<Diagnostic>,
    ) {
        let name = d.name.clone().unwrap_or_default();
        if explicit {
            d.explicit.get_or_insert(here);
        } else {
            d.implicit.get_or_insert(here);
        }
        if let (Some(e), Some(i), false) = (d.explicit, d.implicit, d.mixed) {
            d.mixed = true;
            out.push(
                Diagnostic::new(
                    DEFAULTS_INHERITANCE.code,
                    Severity::Warning,
                    format!(
                        "defaults section `{name}` is both named with `from` and used implicitly"
                    ),
                    here,
                )
                .label(if explicit {
                    "named here"
                } else {
                    "used here as the last defaults section"
                })
                .with_secondary(
                    if explicit { i } else { e },
                    if explicit {
                        "used implicitly here"
                    } else {
                        "named here"
                    },
                )
                .help(format!(
                    "add an anonymous `defaults` after `defaults {name}` for the proxies without `from`, or give them `from {name}`"
                )),
            );
        }
        let Some((kw, at)) = d.rules.clone() else {
            return;
        };
        let rules = |d: Diagnostic| d.with_secondary(at, format!("`{kw}` is a TCP/HTTP rule"));
        match self.kind {
            "listen" => out.push(rules(
                Diagnostic::new(
                    DEFAULTS_INHERITANCE.code,
                    Severity::Error,
                    "a listen section cannot inherit from a defaults section defining TCP/HTTP rules",
                    here,
                )
                .label(format!("listen `{}` inherits `defaults {name}`", self.name()))
                .help("split the listen into a frontend and a backend, or move the rules into it"),
            )),
            "frontend" | "backend" => {
                let (mine, other, side) = if self.kind == "frontend" {
                    (&mut d.frontend, d.backend, "backend")
                } else {
                    (&mut d.backend, d.frontend, "frontend")
                };
                mine.get_or_insert(here);
                if let Some(o) = other {
                    out.push(rules(
                        Diagnostic::new(
                            DEFAULTS_INHERITANCE.code,
                            Severity::Error,
                            "frontends and backends cannot inherit from the same defaults section if it defines TCP/HTTP rules",
                            here,
                        )
                        .label(format!("{} inherits `defaults {name}`", self.what()))
                        .with_secondary(o, format!("a {side} inherits it here"))
                        .help(format!(
                            "give the {side}s and the {}s each their own defaults section",
                            self.kind
                        )),
                    ));
                }
            }
            _ => {}
        }
    }

    fn name(&self) -> String {
        self.section.name(self.src).unwrap_or_default()
    }
}

fn anonymous(span: Span, keyword: &str) -> Diagnostic {
    Diagnostic::new(
        DEFAULTS_INHERITANCE.code,
        Severity::Error,
        format!("`{keyword}` is not allowed in an anonymous `defaults` section"),
        span,
    )
    .label("HAProxy only accepts it in a named `defaults`")
    .help("name the section (`defaults web`) and inherit it with `from web` where the rule should run")
}
