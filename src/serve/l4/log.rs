//! The stream access log: `log_format NAME [escape=default|json|none] STRING…` at the
//! `stream` level (its own namespace: there is no predefined format), `access_log PATH FORMAT
//! [buffer=…] [flush=…] [if=CONDITION]` or `off` at the `stream` or `server` level. A line
//! is written when a session ends, through the writer threads the http side uses.

use std::collections::HashMap;
use std::sync::Arc;

use super::script::{Names, Session, Value};
use crate::ir::{Opaque, Setting};
use crate::serve::content::Shared;
use crate::serve::log::Writer;
use crate::serve::support::Findings;
use crate::serve::vars::{split as split_vars, Piece};

/// A compiled stream `log_format`.
#[derive(Debug)]
pub struct Format {
    parts: Vec<Segment>,
    escape: Escape,
}

#[derive(Debug)]
enum Segment {
    Text(String),
    Var(Value),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Escape {
    /// `"`, `\` and bytes outside 0x20–0x7e as `\xHH`.
    Default,
    Json,
    None,
}

impl Format {
    fn compile(text: &str, escape: Escape, names: &Names) -> Result<Format, String> {
        let mut parts = Vec::new();
        for piece in split_vars(text).map_err(|rest| format!("{{{rest}"))? {
            parts.push(match piece {
                Piece::Text(t) => Segment::Text(t.to_string()),
                Piece::Var(name) => {
                    Segment::Var(Value::compile(&format!("${{{name}}}"), names, None)?)
                }
            });
        }
        Ok(Format { parts, escape })
    }

    fn render(&self, s: &mut Session) -> String {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Segment::Text(t) => out.push_str(t),
                Segment::Var(v) => match v.render_log(s) {
                    None => out.push('-'),
                    Some(bytes) => escape(&bytes, self.escape, &mut out),
                },
            }
        }
        out
    }
}

fn escape(value: &[u8], how: Escape, out: &mut String) {
    for &b in value {
        match how {
            Escape::None => out.push(b as char),
            Escape::Default if b == b'"' || b == b'\\' || !(0x20..0x7f).contains(&b) => {
                out.push_str(&format!("\\x{b:02X}"));
            }
            Escape::Json => match b {
                b'"' => out.push_str("\\\""),
                b'\\' => out.push_str("\\\\"),
                b'\n' => out.push_str("\\n"),
                b'\r' => out.push_str("\\r"),
                b'\t' => out.push_str("\\t"),
                0x08 => out.push_str("\\b"),
                0x0c => out.push_str("\\f"),
                b if b < 0x20 => out.push_str(&format!("\\u{b:04x}")),
                b => out.push(b as char),
            },
            _ => out.push(b as char),
        }
    }
}

/// The `log_format`s of the `stream` levels.
pub fn formats(
    opaque: &[&Opaque],
    names: &Names,
    f: &mut Findings,
) -> HashMap<String, Arc<Format>> {
    let mut out = HashMap::new();
    for o in opaque.iter().filter(|o| o.name == "log_format") {
        let Some((name, rest)) = o.args.split_first() else {
            continue;
        };
        let (escape, rest) = match rest.split_first() {
            Some((e, rest)) if e.starts_with("escape=") => {
                let how = match &e["escape=".len()..] {
                    "default" => Escape::Default,
                    "json" => Escape::Json,
                    "none" => Escape::None,
                    other => {
                        f.refuse(o.origin, format!("`escape={other}`"));
                        continue;
                    }
                };
                (how, rest)
            }
            _ => (Escape::Default, rest),
        };
        let text: String = rest.iter().map(String::as_str).collect();
        match Format::compile(&text, escape, names) {
            Ok(fmt) => {
                out.insert(name.clone(), Arc::new(fmt));
            }
            Err(var) => f.refuse(o.origin, format!("the variable `${var}` in `log_format`")),
        }
    }
    out
}

/// An `access_log` in effect for a stream server.
pub struct AccessLog {
    writer: Arc<Writer>,
    format: Arc<Format>,
    /// `if=CONDITION`: no line when it renders empty or `0`.
    condition: Option<Value>,
}

impl AccessLog {
    /// Writes the line of a session that ended.
    pub fn write(&self, s: &mut Session) {
        if let Some(c) = &self.condition {
            let v = c.render(s);
            if v.is_empty() || v == b"0" {
                return;
            }
        }
        self.writer.write(self.format.render(s));
    }
}

/// The server's `access_log` (the innermost of `setting`s, outermost first).
pub fn access_log(
    settings: &[Option<&Setting<Vec<String>>>],
    formats: &HashMap<String, Arc<Format>>,
    names: &Names,
    shared: &mut Shared,
    f: &mut Findings,
) -> Option<Arc<AccessLog>> {
    let setting = settings.iter().rev().find_map(|s| *s)?;
    let args = &setting.value;
    let path = args.first()?;
    if path == "off" {
        return None;
    }
    if path.contains('$') || path.starts_with("syslog:") {
        f.refuse(setting.origin, format!("the access log target `{path}`"));
        return None;
    }
    let Some(name) = args.get(1) else {
        f.refuse(setting.origin, "a stream `access_log` without a format");
        return None;
    };
    let Some(format) = formats.get(name).cloned() else {
        f.refuse(setting.origin, format!("the unknown log format `{name}`"));
        return None;
    };
    let mut condition = None;
    for extra in args.iter().skip(2) {
        if let Some(cond) = extra.strip_prefix("if=") {
            match Value::compile(cond, names, None) {
                Ok(v) => condition = Some(v),
                Err(var) => {
                    f.refuse(setting.origin, format!("the variable `${var}` in `if=`"));
                    return None;
                }
            }
        } else if !(extra.starts_with("buffer=") || extra.starts_with("flush=")) {
            f.refuse(setting.origin, format!("`access_log` parameter `{extra}`"));
            return None;
        }
    }
    let writer = shared.writer(path, setting.origin, f)?;
    Some(Arc::new(AccessLog {
        writer,
        format,
        condition,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_nginx() {
        let mut out = String::new();
        escape(b"a\"b\\c\x01\xff", Escape::Default, &mut out);
        assert_eq!(out, "a\\x22b\\x5Cc\\x01\\xFF");
        out.clear();
        escape(b"a\"b\\\n\x01", Escape::Json, &mut out);
        assert_eq!(out, "a\\\"b\\\\\\n\\u0001");
    }
}
