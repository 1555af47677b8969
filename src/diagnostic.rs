//! Diagnostics: what rules and parsers report, rendered as miette graphical reports or as the
//! stable JSON shape CI tools read.

use std::fmt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
use serde::Serialize;

use crate::source::{SourceMap, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        })
    }
}

/// A place and what to say about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// One finding. The message states the problem, labels say where, help says how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    pub primary: Label,
    pub secondary: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(
        code: &'static str,
        severity: Severity,
        message: impl Into<String>,
        span: Span,
    ) -> Self {
        Diagnostic {
            code,
            severity,
            message: message.into(),
            primary: Label {
                span,
                message: String::new(),
            },
            secondary: Vec::new(),
            help: None,
        }
    }

    pub fn label(mut self, message: impl Into<String>) -> Self {
        self.primary.message = message.into();
        self
    }

    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.secondary.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// Sorts diagnostics by file, position and code, and removes exact duplicates.
pub fn sort(diags: &mut Vec<Diagnostic>) {
    diags.sort_by(|a, b| {
        (
            a.primary.span.file,
            a.primary.span.start,
            a.code,
            &a.message,
        )
            .cmp(&(
                b.primary.span.file,
                b.primary.span.start,
                b.code,
                &b.message,
            ))
    });
    diags.dedup();
}

/// The miette view of one diagnostic: the labels in the primary file; labels in other files
/// become related reports with their own source.
struct Report {
    code: &'static str,
    severity: Severity,
    message: String,
    help: Option<String>,
    source: NamedSource<String>,
    labels: Vec<LabeledSpan>,
    related: Vec<Report>,
}

impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        if self.code.is_empty() {
            None
        } else {
            Some(Box::new(self.code))
        }
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(
                self.related.iter().map(|r| r as &dyn miette::Diagnostic),
            ))
        }
    }
}

fn source_span(sources: &SourceMap, span: Span) -> SourceSpan {
    let len = sources.get(span.file).text.len() as u32;
    let start = span.start.min(len);
    let end = span.end.clamp(start, len);
    SourceSpan::new((start as usize).into(), (end - start) as usize)
}

fn labeled(sources: &SourceMap, label: &Label, primary: bool) -> LabeledSpan {
    let text = (!label.message.is_empty()).then(|| label.message.clone());
    let span = source_span(sources, label.span);
    if primary {
        LabeledSpan::new_primary_with_span(text, span)
    } else {
        LabeledSpan::new_with_span(text, span)
    }
}

fn to_report(sources: &SourceMap, d: &Diagnostic) -> Report {
    let file = d.primary.span.file;
    let src = sources.get(file);
    let mut labels = vec![labeled(sources, &d.primary, true)];
    let mut related = Vec::new();
    for l in &d.secondary {
        if l.span.file == file {
            labels.push(labeled(sources, l, false));
        } else {
            let other = sources.get(l.span.file);
            related.push(Report {
                code: "",
                severity: Severity::Info,
                message: format!("see also {}", other.name()),
                help: None,
                source: NamedSource::new(other.name(), other.text.clone()),
                labels: vec![labeled(sources, l, true)],
                related: Vec::new(),
            });
        }
    }
    Report {
        code: d.code,
        severity: d.severity,
        message: d.message.clone(),
        help: d.help.clone(),
        source: NamedSource::new(src.name(), src.text.clone()),
        labels,
        related,
    }
}

/// Renders diagnostics the way a person reads them. `color` selects ANSI colours; snapshots use
/// no colour and a fixed width so they diff cleanly.
pub fn render_human(
    sources: &SourceMap,
    diags: &[Diagnostic],
    color: bool,
    width: usize,
) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(width)
        .with_links(false)
        .with_show_related_as_nested(true);
    let mut out = String::new();
    for d in diags {
        let report = to_report(sources, d);
        let _ = handler.render_report(&mut out, &report);
        out.push('\n');
    }
    out
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'a str,
    severity: Severity,
    message: &'a str,
    file: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    help: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonSummary {
    errors: usize,
    warnings: usize,
    infos: usize,
    files: usize,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    diagnostics: Vec<JsonDiagnostic<'a>>,
    summary: JsonSummary,
}

/// Counts of each severity.
pub fn counts(diags: &[Diagnostic]) -> (usize, usize, usize) {
    let n = |s| diags.iter().filter(|d| d.severity == s).count();
    (n(Severity::Error), n(Severity::Warning), n(Severity::Info))
}

/// The stable JSON shape of `lbc check --format json`.
pub fn render_json(sources: &SourceMap, diags: &[Diagnostic], files: usize) -> String {
    let diagnostics = diags
        .iter()
        .map(|d| {
            let s = d.primary.span;
            let a = sources.line_col(s.file, s.start);
            let b = sources.line_col(s.file, s.end);
            JsonDiagnostic {
                code: d.code,
                severity: d.severity,
                message: &d.message,
                file: sources.get(s.file).name(),
                line: a.line,
                column: a.column,
                end_line: b.line,
                end_column: b.column,
                help: d.help.as_deref(),
            }
        })
        .collect();
    let (errors, warnings, infos) = counts(diags);
    let report = JsonReport {
        diagnostics,
        summary: JsonSummary {
            errors,
            warnings,
            infos,
            files,
        },
    };
    serde_json::to_string_pretty(&report).expect("diagnostics serialize")
}
