//! Source files: loading (UTF-8, or Latin-1 for legacy files so every byte survives), file ids,
//! byte spans and line/column lookup.

use std::path::{Path, PathBuf};

use std::sync::OnceLock;

use codespan_reporting::files::line_starts;

/// Index of a file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

/// A byte range in one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: u32, end: u32) -> Self {
        Span { file, start, end }
    }
}

/// One loaded file.
pub struct SourceFile {
    /// The path as the user (or an `include`) named it.
    pub path: PathBuf,
    /// The text. Files that are not UTF-8 are decoded as Latin-1 (one char per byte), which keeps
    /// every byte and makes lines and columns right; `latin1` records it so writers re-encode.
    pub text: String,
    pub latin1: bool,
    /// The canonical path, when the file exists on disk: two spellings of one file are one file.
    canonical: Option<PathBuf>,
    /// Byte offsets where lines start; computed on first use (only rendering needs it).
    lines: OnceLock<Vec<usize>>,
}

impl SourceFile {
    pub fn name(&self) -> String {
        self.path.display().to_string()
    }
}

/// All files of one run.
#[derive(Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

/// 1-based line and column (in characters) of a byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

impl SourceMap {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file from memory.
    pub fn add(&mut self, path: impl Into<PathBuf>, text: String) -> FileId {
        self.add_decoded(path.into(), text, false)
    }

    fn add_decoded(&mut self, path: PathBuf, text: String, latin1: bool) -> FileId {
        let id = FileId(self.files.len() as u32);
        let canonical = std::fs::canonicalize(&path).ok();
        self.files.push(SourceFile {
            path,
            text,
            latin1,
            canonical,
            lines: OnceLock::new(),
        });
        id
    }

    /// Reads a file from disk.
    pub fn load(&mut self, path: &Path) -> std::io::Result<FileId> {
        let bytes = std::fs::read(path)?;
        let (text, latin1) = decode(bytes);
        Ok(self.add_decoded(path.to_path_buf(), text, latin1))
    }

    /// The file already loaded from this path, if any.
    pub fn find(&self, path: &Path) -> Option<FileId> {
        let canonical = std::fs::canonicalize(path).ok();
        self.files
            .iter()
            .position(|f| f.path == path || (canonical.is_some() && f.canonical == canonical))
            .map(|i| FileId(i as u32))
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn ids(&self) -> impl Iterator<Item = FileId> {
        (0..self.files.len() as u32).map(FileId)
    }

    /// Line and column of a byte offset (clamped to the file).
    pub fn line_col(&self, id: FileId, offset: u32) -> LineCol {
        let f = self.get(id);
        let offset = (offset as usize).min(f.text.len());
        let offset = floor_char_boundary(&f.text, offset);
        let starts = f.lines.get_or_init(|| line_starts(&f.text).collect());
        let line = starts.partition_point(|&s| s <= offset).saturating_sub(1);
        let column = f.text[starts[line]..offset].chars().count() + 1;
        LineCol {
            line: line + 1,
            column,
        }
    }

    pub fn slice(&self, span: Span) -> &str {
        let t = &self.get(span.file).text;
        &t[span.start as usize..(span.end as usize).min(t.len())]
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// UTF-8 when valid, else Latin-1.
pub fn decode(bytes: Vec<u8>) -> (String, bool) {
    match String::from_utf8(bytes) {
        Ok(s) => (s, false),
        Err(e) => (e.into_bytes().iter().map(|&b| b as char).collect(), true),
    }
}
