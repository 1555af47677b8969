//! The HAProxy concrete syntax tree: lines of words grouped into sections, with byte ranges into
//! the file. Together with the token stream it is lossless: every byte of the source is covered.

use super::lexer::Token;
pub use crate::syntax::text::TextRange;

/// A parsed file: the token stream (trivia included), the lines before the first section, the
/// sections, and the syntax errors found.
#[derive(Debug, Clone, Default)]
pub struct SyntaxTree {
    pub tokens: Vec<Token>,
    /// Keyword lines before any section header (HAProxy rejects them: "out of section").
    pub preamble: Vec<Line>,
    pub sections: Vec<Section>,
    pub errors: Vec<SyntaxError>,
}

/// A syntax error with the range it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub range: TextRange,
    pub message: String,
    pub label: String,
    pub help: Option<String>,
}

/// A section: its header line (`frontend www`, `defaults web from base`) and its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub header: Line,
    pub lines: Vec<Line>,
}

impl Section {
    /// The section keyword (`global`, `backend`, …).
    pub fn kind<'a>(&self, src: &'a str) -> &'a str {
        self.header.words[0].raw(src)
    }

    /// The section's name: the first argument of the header, if any.
    pub fn name(&self, src: &str) -> Option<String> {
        self.header.words.get(1).map(|w| w.value(src))
    }

    /// From the header to the end of the last line.
    pub fn range(&self) -> TextRange {
        self.lines
            .last()
            .map_or(self.header.range, |l| self.header.range.cover(l.range))
    }
}

/// One non-empty line: its words, from the first word to the last (comments excluded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub words: Vec<Word>,
    pub range: TextRange,
}

impl Line {
    /// The keyword: the first word, or the second when the first is the `no`/`default` modifier.
    pub fn keyword_index(&self, src: &str) -> usize {
        match self.words[0].raw(src) {
            "no" | "default" if self.words.len() > 1 => 1,
            _ => 0,
        }
    }

    /// Word values from `from` on.
    pub fn values(&self, src: &str, from: usize) -> Vec<String> {
        self.words.iter().skip(from).map(|w| w.value(src)).collect()
    }

    /// The line's words as HAProxy reads them: `$NAME`, `${NAME}` and `${NAME-default}`
    /// inside double quotes replaced by what `env` gives (nothing when it gives nothing),
    /// `${NAME[*]}` split into words at spaces, and an empty last word dropped (`parse_line()`
    /// does not count it).
    pub fn expand(&self, src: &str, env: &Lookup) -> Vec<String> {
        let mut out = Vec::with_capacity(self.words.len());
        for w in &self.words {
            let raw = w.raw(src);
            if raw.contains(['\\', '"', '\'']) {
                out.extend(scan_with(raw, Some(env)).0);
            } else {
                out.push(raw.to_string());
            }
        }
        if out.last().is_some_and(String::is_empty) {
            out.pop();
        }
        out
    }

    /// The values of at most `n` words from `from` on (a keyword and its first argument).
    pub fn head_values(&self, src: &str, from: usize, n: usize) -> Vec<String> {
        self.words
            .iter()
            .skip(from)
            .take(n)
            .map(|w| w.value(src))
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WordKind {
    Word,
    /// A word whose quote is never closed (the rest of the line).
    Unterminated,
}

/// One word exactly as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Word {
    pub kind: WordKind,
    pub range: TextRange,
}

/// A problem inside a word that HAProxy's `parse_line()` rejects: the byte offset in the word
/// and the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordError {
    pub at: usize,
    pub len: usize,
    pub message: &'static str,
    pub help: &'static str,
}

impl Word {
    /// The source text, quotes and escapes included.
    pub fn raw<'a>(&self, src: &'a str) -> &'a str {
        &src[self.range.start as usize..self.range.end as usize]
    }

    /// The value HAProxy sees, without reading the environment: quotes removed, escapes
    /// resolved, `${VAR}` references kept as written.
    pub fn value(&self, src: &str) -> String {
        let raw = self.raw(src);
        if !raw.contains(['\\', '"', '\'']) {
            return raw.to_string();
        }
        scan(raw).0
    }

    /// The first error HAProxy would report in this word, if any.
    pub fn error(&self, src: &str) -> Option<WordError> {
        let raw = self.raw(src);
        if !raw.contains(['\\', '"', '\'']) {
            return None;
        }
        scan(raw).1
    }
}

fn is_hex(b: u8) -> bool {
    b.is_ascii_hexdigit()
}

/// Where environment variables get their values: the name (`NAME`, or `.LINE`, `.FILE`,
/// `.SECTION`) to the value, `None` when it is not set.
pub type Lookup<'a> = dyn Fn(&str) -> Option<String> + 'a;

/// Unquotes and unescapes one word the way `parse_line()` does with the options HAProxy's
/// configuration reader passes (quotes, backslashes, `#`, environment variables in double
/// quotes kept as written), and reports the first error it would raise.
fn scan(raw: &str) -> (String, Option<WordError>) {
    let (words, err) = scan_with(raw, None);
    (words.concat(), err)
}

/// [`scan`], with environment variables replaced by what `env` gives when there is one; the
/// words (one, or more where `${NAME[*]}` expands to several).
fn scan_with(raw: &str, env: Option<&Lookup>) -> (Vec<String>, Option<WordError>) {
    let b = raw.as_bytes();
    let mut words: Vec<String> = Vec::new();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut err: Option<WordError> = None;
    let (mut squote, mut dquote) = (false, false);
    let mut quote_at = 0;
    let mut i = 0;
    let mut set = |e: WordError| {
        if err.is_none() {
            err = Some(e);
        }
    };
    while i < b.len() {
        let c = b[i];
        match c {
            b'"' if !squote => {
                dquote = !dquote;
                quote_at = i;
                i += 1;
            }
            b'\'' if !dquote => {
                squote = !squote;
                quote_at = i;
                i += 1;
            }
            b'\\' if !squote => {
                let next = b.get(i + 1).copied();
                match next {
                    Some(b' ' | b'\\' | b'#' | b'\'' | b'"') => {
                        out.push(next.unwrap_or(b'\\'));
                        i += 2;
                    }
                    Some(b't') => {
                        out.push(b'\t');
                        i += 2;
                    }
                    Some(b'n') => {
                        out.push(b'\n');
                        i += 2;
                    }
                    Some(b'r') => {
                        out.push(b'\r');
                        i += 2;
                    }
                    Some(b'$') if dquote => {
                        out.push(b'$');
                        i += 2;
                    }
                    Some(b'x') => {
                        if b.len() > i + 3 && is_hex(b[i + 2]) && is_hex(b[i + 3]) {
                            let v = u8::from_str_radix(&raw[i + 2..i + 4], 16).unwrap_or(b'?');
                            out.push(v);
                            i += 4;
                        } else {
                            set(WordError {
                                at: i,
                                len: 2,
                                message: "truncated or invalid hexadecimal sequence",
                                help: "write `\\x` followed by two hexadecimal digits, or `\\\\x` for a literal backslash",
                            });
                            out.push(b'\\');
                            i += 1;
                        }
                    }
                    _ => {
                        out.push(b'\\');
                        i += 1;
                    }
                }
            }
            b'$' if dquote => {
                // An environment variable: `$NAME`, `${NAME}`, `${NAME-default}`, `${NAME[*]}`,
                // `${.LINE}`. Kept as written; only its shape is checked.
                let start = i;
                let mut j = i + 1;
                let brace = b.get(j) == Some(&b'{');
                if brace {
                    j += 1;
                }
                let first = b.get(j).copied().unwrap_or(0);
                if !(first.is_ascii_alphabetic() || first == b'_' || first == b'.') {
                    set(WordError {
                        at: j.min(b.len().saturating_sub(1)),
                        len: 1,
                        message: "forbidden first character in environment variable name",
                        help: "inside double quotes `$` starts an environment variable; write `\\$` for a literal `$`, or use single quotes",
                    });
                    out.extend_from_slice(&b[start..j]);
                    i = j;
                    continue;
                }
                let name_at = j;
                if first == b'.' {
                    j += 1;
                }
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                    j += 1;
                }
                let name = &raw[name_at..j];
                let mut split = false;
                let mut default = None;
                if brace {
                    if b.get(j) == Some(&b'[') {
                        j += 1;
                        if b.get(j) == Some(&b'*') && b.get(j + 1) == Some(&b']') {
                            j += 2;
                            split = true;
                        } else {
                            set(WordError {
                                at: j - 1,
                                len: 1,
                                message: "truncated or invalid word expansion sequence",
                                help: "the only expansion HAProxy knows is `${NAME[*]}`",
                            });
                        }
                    }
                    if b.get(j) == Some(&b'-') {
                        let from = j + 1;
                        while j < b.len() && b[j] != b'}' {
                            j += 1;
                        }
                        default = raw.get(from..j);
                    }
                    if b.get(j) == Some(&b'}') {
                        j += 1;
                    } else {
                        set(WordError {
                            at: start + 1,
                            len: 1,
                            message: "unmatched brace in environment variable name",
                            help: "close the variable with `}`",
                        });
                    }
                }
                match env {
                    None => out.extend_from_slice(&b[start..j]),
                    Some(env) => {
                        let value = env(name).or_else(|| default.map(str::to_string));
                        let value = value.unwrap_or_default();
                        if split {
                            // Spaces end words; runs of them count once.
                            let mut parts = value.split(|c: char| c.is_ascii_whitespace());
                            if let Some(p) = parts.next() {
                                out.extend_from_slice(p.as_bytes());
                            }
                            let mut gap = false;
                            for p in parts {
                                if p.is_empty() {
                                    gap = true;
                                    continue;
                                }
                                words.push(String::from_utf8_lossy(&out).into_owned());
                                out.clear();
                                out.extend_from_slice(p.as_bytes());
                                gap = false;
                            }
                            if gap {
                                words.push(String::from_utf8_lossy(&out).into_owned());
                                out.clear();
                            }
                        } else {
                            out.extend_from_slice(value.as_bytes());
                        }
                    }
                }
                i = j;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    if squote || dquote {
        set(WordError {
            at: quote_at,
            len: 1,
            message: "unmatched quote",
            help: "close the quote on the same line: HAProxy reads one line at a time",
        });
    }
    words.push(String::from_utf8_lossy(&out).into_owned());
    (words, err)
}

impl SyntaxTree {
    /// Every line of every section, with its section.
    pub fn lines(&self) -> impl Iterator<Item = (&Section, &Line)> {
        self.sections
            .iter()
            .flat_map(|s| s.lines.iter().map(move |l| (s, l)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(s: &str) -> (String, Option<&'static str>) {
        let (v, e) = scan(s);
        (v, e.map(|e| e.message))
    }

    #[test]
    fn unquoting_and_escapes() {
        assert_eq!(word("itnihao\\ itnihao").0, "itnihao itnihao");
        assert_eq!(word("\"a b\"'c d'e").0, "a bc de");
        assert_eq!(word("'\\ x'").0, "\\ x");
        assert_eq!(word("\\x41\\#").0, "A#");
        assert_eq!(word("^/a\\.b").0, "^/a\\.b");
        assert_eq!(word("\"fd@${fe1}\"").0, "fd@${fe1}");
        assert_eq!(word("\"${A-def}x\"").0, "${A-def}x");
        assert_eq!(word("$HOME").0, "$HOME");
    }

    #[test]
    fn environment_variables() {
        let env = |name: &str| match name {
            "A" => Some("x y".to_string()),
            "E" => Some(String::new()),
            "L" => Some(" a  b ".to_string()),
            ".LINE" => Some("7".to_string()),
            _ => None,
        };
        let words = |s: &str| scan_with(s, Some(&env)).0;
        assert_eq!(words("\"${A}\""), ["x y"]);
        assert_eq!(words("\"$A-z\""), ["x y-z"]);
        assert_eq!(words("\"${U-5s}\""), ["5s"]);
        // The default is for an unset variable, not an empty one.
        assert_eq!(words("\"${E-5s}\""), [""]);
        assert_eq!(words("\"fd@${U}\""), ["fd@"]);
        assert_eq!(words("\"${A[*]}\""), ["x", "y"]);
        assert_eq!(words("\"<${L[*]}>\""), ["<", "a", "b", ">"]);
        assert_eq!(words("\"${.LINE}\""), ["7"]);
        // Outside double quotes nothing is read.
        assert_eq!(words("${A}'${A}'"), ["${A}${A}"]);
        assert_eq!(words("\"\\${A}\""), ["${A}"]);
    }

    #[test]
    fn word_errors() {
        assert_eq!(
            word("\"$1\"").1,
            Some("forbidden first character in environment variable name")
        );
        assert_eq!(
            word("\"${A\"").1,
            Some("unmatched brace in environment variable name")
        );
        assert_eq!(
            word("\\xZ1").1,
            Some("truncated or invalid hexadecimal sequence")
        );
        assert_eq!(word("'abc").1, Some("unmatched quote"));
        assert_eq!(word("\"\\$1\"").1, None);
        assert_eq!(word("'$1'").1, None);
    }
}
