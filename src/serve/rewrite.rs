//! nginx's rewrite module at one level (server or location): `rewrite REGEX REPLACEMENT
//! [last|break|redirect|permanent]`, `return`, `break` and `if (COND) { … }` run in the order
//! they are written. Conditions: `($var)` (false when empty or "0"), `=`/`!=`, `~`/`~*`/`!~`/
//! `!~*` on `$request_method`, `$invalid_referer`, `$http_NAME`, `$uri`, `$args`, `$host`,
//! `$remote_addr`, `$request_uri`. A replacement starting with `http://`, `https://` or
//! `$scheme` redirects; one with `?` sets the arguments (the old ones appended unless it ends
//! with `?`). What the runtime does not know (`set`, file tests, other directives in `if`) is
//! refused.

use super::pcre::Pcre;
use std::sync::Arc;

use hyper::header::HeaderName;

use super::headers::{compile_add, template, AddHeader, Extra, Template, Vars};
use super::referer::Referers;
use super::support::Findings;
use super::uservars;
use crate::ir::{Header, Opaque};

/// How a `rewrite` ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flag {
    Continue,
    Last,
    Break,
    Redirect,
    Permanent,
}

#[derive(Debug, Clone)]
enum Piece {
    Text(Template),
    Capture(usize),
}

#[derive(Debug, Clone)]
enum Operand {
    Method,
    InvalidReferer,
    Var(Template),
}

#[derive(Debug, Clone)]
enum Cond {
    Truthy(Operand),
    Equals(Operand, String, bool),
    /// The regex, whether negated, and the slots its named groups write.
    Matches(Operand, Pcre, bool, Vec<(usize, u32)>),
}

#[derive(Debug, Clone)]
enum Step {
    Rewrite {
        re: Pcre,
        to: Vec<Piece>,
        flag: Flag,
        /// The slots its named groups write.
        named: Vec<(usize, u32)>,
    },
    Return {
        status: u16,
        text: Option<Template>,
    },
    If {
        cond: Cond,
        body: Vec<Step>,
        /// The block's own `add_header` list (`None`: the location's, inherited).
        headers: Option<Arc<Vec<AddHeader>>>,
    },
    Break,
    /// `set $name VALUE`: the variable's slot and its value.
    Set(u32, Template),
}

/// The rewrite directives of one level, with where each starts (to place `return`).
#[derive(Debug, Clone, Default)]
pub struct Program(Vec<(u32, Step)>);

/// What running a program decided.
#[derive(Debug)]
pub enum Verdict {
    /// Went through: the URI may have changed (then the location is looked up again).
    Done,
    /// `last`: the location is looked up again with the new URI.
    Last,
    /// `break` (or `rewrite … break`): stay in this location, rewrite directives stop.
    Break,
    /// `return CODE [TEXT|URL]` (the text rendered).
    Return(u16, Option<String>),
    /// A rewrite to a URL: 302 or 301 with this location.
    Redirect(u16, String),
}

/// What a program reads besides the URI.
pub struct Input<'a> {
    pub vars: &'a Vars<'a>,
    pub method: &'a str,
    pub referers: Option<&'a Referers>,
    pub server_names: &'a [String],
}

/// The names this module reads from a level's opaque directives.
pub const DIRECTIVES: &[&str] = &["rewrite", "if", "break", "return", "set"];

impl Program {
    /// Compiles the rewrite directives among `entries`; `None` (refused) when one cannot run.
    pub fn compile(entries: &[Opaque], f: &mut Findings) -> Option<Program> {
        let mut steps = Vec::new();
        let mut ok = true;
        for o in entries
            .iter()
            .filter(|o| DIRECTIVES.contains(&o.name.as_str()))
        {
            match step(o, f) {
                Some(s) => steps.push((o.origin.start, s)),
                None => ok = false,
            }
        }
        ok.then_some(Program(steps))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The request headers the `add_header`s of its `if` blocks read.
    pub fn header_reads(&self) -> Vec<HeaderName> {
        fn walk<'a>(steps: impl Iterator<Item = &'a Step>, out: &mut Vec<HeaderName>) {
            for s in steps {
                if let Step::If { body, headers, .. } = s {
                    headers
                        .iter()
                        .flat_map(|h| h.iter())
                        .for_each(|a| out.extend(a.reads()));
                    walk(body.iter(), out);
                }
            }
        }
        let mut out = Vec::new();
        walk(self.0.iter().map(|(_, s)| s), &mut out);
        out
    }

    /// Places the level's `return` (kept as its action) where it was written.
    pub fn place_return(&mut self, at: u32, status: u16, text: Option<Template>) {
        let i = self
            .0
            .iter()
            .position(|(s, _)| *s > at)
            .unwrap_or(self.0.len());
        self.0.insert(i, (at, Step::Return { status, text }));
    }

    /// Runs the program, changing the request's state as its directives say.
    pub fn run(&self, state: &mut State, input: &Input) -> Verdict {
        let steps: Vec<&Step> = self.0.iter().map(|(_, s)| s).collect();
        run(&steps, state, input).unwrap_or(Verdict::Done)
    }
}

/// What the directives change as they run: the URI and arguments (`rewrite`), the `set`
/// variables' slots, and the groups of the last regex that ran (`if`, `rewrite`), which
/// later values read as `$1`….
pub struct State<'a> {
    pub uri: &'a mut String,
    pub args: &'a mut Option<String>,
    pub set: &'a mut Vec<String>,
    pub captures: &'a mut Vec<String>,
    /// The `add_header` list of the last `if` block entered that has its own (it replaces
    /// the location's; a block without one gives the location's back).
    pub headers: &'a mut Option<Arc<Vec<AddHeader>>>,
}

impl State<'_> {
    /// Renders `t` with the values as they are now.
    fn render(&self, t: &Template, input: &Input) -> String {
        let vars = Vars {
            set: self.set,
            ..*input.vars
        };
        let extra = Extra {
            uri: self.uri,
            args: self.args.as_deref().unwrap_or(""),
            captures: self.captures,
            ..Extra::default()
        };
        t.render_ext(&vars, &extra)
    }

    /// A regex ran: its groups are the captures now — none when it did not match or has
    /// no groups (nginx 1.22 measured: even a failed `if` regex empties `$1`).
    fn captured(&mut self, c: Option<&Vec<String>>) {
        match c {
            Some(c) => self.captures.clone_from(c),
            None => self.captures.clear(),
        }
    }
}

fn run(steps: &[&Step], st: &mut State, input: &Input) -> Option<Verdict> {
    for step in steps {
        match step {
            Step::Break => return Some(Verdict::Break),
            Step::Return { status, text } => {
                let text = text.as_ref().map(|t| st.render(t, input));
                return Some(Verdict::Return(*status, text));
            }
            Step::Set(slot, value) => {
                let value = st.render(value, input);
                uservars::assign(st.set, *slot, value);
            }
            Step::If {
                cond,
                body,
                headers,
            } => {
                if test(cond, st, input) {
                    // The request takes the block's configuration, as nginx's `if` does.
                    st.headers.clone_from(headers);
                    let body: Vec<&Step> = body.iter().collect();
                    if let Some(v) = run(&body, st, input) {
                        return Some(v);
                    }
                }
            }
            Step::Rewrite {
                re,
                to,
                flag,
                named,
            } => {
                let Some(groups) = re.captures(st.uri) else {
                    st.captured(None);
                    continue;
                };
                uservars::assign_named(st.set, named, &groups);
                st.captures.clone_from(&groups);
                let mut out = String::new();
                for p in to {
                    match p {
                        Piece::Text(t) => out.push_str(&st.render(t, input)),
                        Piece::Capture(n) => {
                            out.push_str(groups.get(*n).map_or("", String::as_str))
                        }
                    }
                }
                let url = out.starts_with("http://") || out.starts_with("https://");
                // New arguments replace the old, which follow unless it ends with `?`.
                let (path, new_args) = match out.split_once('?') {
                    None => (out.clone(), st.args.clone()),
                    Some((p, "")) => (p.to_string(), None),
                    Some((p, a)) => match st.args.as_deref().filter(|o| !o.is_empty()) {
                        Some(old) => (p.to_string(), Some(format!("{a}&{old}"))),
                        None => (p.to_string(), Some(a.to_string())),
                    },
                };
                if url || matches!(flag, Flag::Redirect | Flag::Permanent) {
                    let status = if *flag == Flag::Permanent { 301 } else { 302 };
                    let location = match new_args.filter(|a| !a.is_empty()) {
                        Some(a) => format!("{path}?{a}"),
                        None => path,
                    };
                    return Some(Verdict::Redirect(status, location));
                }
                *st.uri = path;
                *st.args = new_args;
                match flag {
                    Flag::Last => return Some(Verdict::Last),
                    Flag::Break => return Some(Verdict::Break),
                    _ => {}
                }
            }
        }
    }
    None
}

fn value(op: &Operand, st: &State, input: &Input) -> String {
    match op {
        Operand::Method => input.method.to_string(),
        Operand::InvalidReferer => {
            let referer = input
                .vars
                .request
                .get(hyper::header::REFERER)
                .map(|v| v.as_bytes());
            match input.referers {
                Some(r) if r.invalid(referer, input.server_names) => "1".into(),
                _ => String::new(),
            }
        }
        Operand::Var(t) => st.render(t, input),
    }
}

fn test(cond: &Cond, st: &mut State, input: &Input) -> bool {
    match cond {
        Cond::Truthy(op) => {
            let v = value(op, st, input);
            !v.is_empty() && v != "0"
        }
        Cond::Equals(op, s, negate) => (value(op, st, input) == *s) != *negate,
        Cond::Matches(op, re, negate, named) => {
            let subject = value(op, st, input);
            let c = re.captures(&subject);
            if let Some(c) = &c {
                uservars::assign_named(st.set, named, c);
            }
            st.captured(c.as_ref());
            c.is_some() != *negate
        }
    }
}

fn step(o: &Opaque, f: &mut Findings) -> Option<Step> {
    match o.name.as_str() {
        "break" => Some(Step::Break),
        "set" => {
            let (Some(name), Some(value)) = (o.args.first(), o.args.get(1)) else {
                f.refuse(o.origin, "`set` without a value");
                return None;
            };
            let slot = match name.strip_prefix('$').and_then(uservars::lookup) {
                Some(uservars::Var::Set(slot)) => slot,
                _ => {
                    f.refuse(o.origin, format!("`set {name}`"));
                    return None;
                }
            };
            match template(value) {
                Ok(t) => Some(Step::Set(slot, t)),
                Err(var) => {
                    f.refuse(o.origin, format!("the variable `${var}` in `set`"));
                    None
                }
            }
        }
        "return" => {
            let first = o.args.first()?;
            let (status, text) = match first.parse::<u16>() {
                Ok(code) => (code, o.args.get(1)),
                Err(_) => (302, Some(first)),
            };
            if status != 444 && !(100..=599).contains(&status) {
                f.refuse(o.origin, format!("`return {status}`"));
                return None;
            }
            let text = match text.map(|t| template(t)) {
                None => None,
                Some(Ok(t)) => Some(t),
                Some(Err(var)) => {
                    f.refuse(o.origin, format!("the variable `${var}` in `return`"));
                    return None;
                }
            };
            Some(Step::Return { status, text })
        }
        "rewrite" => {
            let (Some(pattern), Some(to)) = (o.args.first(), o.args.get(1)) else {
                f.refuse(o.origin, "`rewrite` without a replacement");
                return None;
            };
            let flag = match o.args.get(2).map(String::as_str) {
                None => Flag::Continue,
                Some("last") => Flag::Last,
                Some("break") => Flag::Break,
                Some("redirect") => Flag::Redirect,
                Some("permanent") => Flag::Permanent,
                Some(other) => {
                    f.refuse(o.origin, format!("the `rewrite` flag `{other}`"));
                    return None;
                }
            };
            let re = match Pcre::new(pattern, false) {
                Ok(re) => re,
                Err(e) => {
                    f.refuse(o.origin, format!("the `rewrite` regex `{pattern}` ({e})"));
                    return None;
                }
            };
            let to = match replacement(to) {
                Ok(p) => p,
                Err(var) => {
                    f.refuse(o.origin, format!("the variable `${var}` in `rewrite`"));
                    return None;
                }
            };
            let named = uservars::named_slots(&re);
            Some(Step::Rewrite {
                re,
                to,
                flag,
                named,
            })
        }
        "if" => {
            let cond = condition(&o.args)
                .map_err(|why| f.refuse(o.origin, why))
                .ok()?;
            let mut body = Vec::new();
            let mut ok = true;
            let mut added = Vec::new();
            for c in &o.children {
                if c.name == "add_header" {
                    match c.args.as_slice() {
                        [name, value] | [name, value, _] => added.push(Header {
                            name: name.clone(),
                            value: value.clone(),
                            always: c.args.get(2).is_some_and(|a| a == "always"),
                            origin: c.origin,
                        }),
                        _ => {
                            f.refuse(c.origin, "this `add_header`");
                            ok = false;
                        }
                    }
                } else if DIRECTIVES.contains(&c.name.as_str()) && c.name != "if" {
                    match step(c, f) {
                        Some(s) => body.push(s),
                        None => ok = false,
                    }
                } else {
                    f.refuse(c.origin, format!("`{}` inside `if`", c.name));
                    ok = false;
                }
            }
            let headers = (!added.is_empty()).then(|| Arc::new(compile_add(&added, f)));
            ok.then_some(Step::If {
                cond,
                body,
                headers,
            })
        }
        _ => None,
    }
}

/// `$1`…`$9` apart, the rest as header templates.
fn replacement(text: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut chars = text.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        match (c, chars.peek()) {
            ('$', Some(&(_, d))) if d.is_ascii_digit() => {
                chars.next();
                if !literal.is_empty() {
                    pieces.push(Piece::Text(template(&std::mem::take(&mut literal))?));
                }
                pieces.push(Piece::Capture(d as usize - '0' as usize));
            }
            _ => literal.push(c),
        }
    }
    if !literal.is_empty() {
        pieces.push(Piece::Text(template(&literal)?));
    }
    Ok(pieces)
}

/// A regex condition, with the slots of its named groups.
fn matches(o: Operand, re: Pcre, negate: bool) -> Cond {
    let named = uservars::named_slots(&re);
    Cond::Matches(o, re, negate, named)
}

/// `(…)` split into words by the parser: `$var`, or `$var OP value`.
fn condition(args: &[String]) -> Result<Cond, String> {
    let joined = args.join(" ");
    let inner = joined
        .trim()
        .strip_prefix('(')
        .and_then(|s| s.strip_suffix(')'))
        .ok_or("this `if` condition")?
        .trim();
    let words: Vec<String> = if args.len() >= 3 {
        let mut w: Vec<String> = args.to_vec();
        if w.first().is_some_and(|a| a == "(") {
            w.remove(0);
        } else if let Some(first) = w.first_mut() {
            *first = first.strip_prefix('(').unwrap_or(first).to_string();
        }
        if w.last().is_some_and(|a| a == ")") {
            w.pop();
        } else if let Some(last) = w.last_mut() {
            *last = last.strip_suffix(')').unwrap_or(last).to_string();
        }
        w
    } else {
        inner.split_whitespace().map(str::to_string).collect()
    };
    let operand = |name: &str| -> Result<Operand, String> {
        let var = name
            .strip_prefix('$')
            .ok_or("a condition not on a variable")?;
        Ok(match var {
            "request_method" => Operand::Method,
            "invalid_referer" => Operand::InvalidReferer,
            _ => Operand::Var(template(name).map_err(|v| format!("the variable `${v}` in `if`"))?),
        })
    };
    match words.as_slice() {
        [v] => Ok(Cond::Truthy(operand(v)?)),
        [v, op, value] => {
            let o = operand(v)?;
            let re = |caseless: bool| {
                Pcre::new(value, caseless).map_err(|e| format!("the `if` regex `{value}` ({e})"))
            };
            Ok(match op.as_str() {
                "=" => Cond::Equals(o, value.clone(), false),
                "!=" => Cond::Equals(o, value.clone(), true),
                "~" => matches(o, re(false)?, false),
                "~*" => matches(o, re(true)?, false),
                "!~" => matches(o, re(false)?, true),
                "!~*" => matches(o, re(true)?, true),
                _ => return Err(format!("the `if` operator `{op}`")),
            })
        }
        _ => Err(format!("the `if` condition `{inner}`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_string).collect()
    }

    #[test]
    fn conditions_as_the_parser_splits_them() {
        assert!(matches!(
            condition(&words("($invalid_referer)")),
            Ok(Cond::Truthy(Operand::InvalidReferer))
        ));
        assert!(matches!(
            condition(&words("( $request_method = POST )")),
            Ok(Cond::Equals(Operand::Method, ref v, false)) if v == "POST"
        ));
        assert!(matches!(
            condition(&["($http_x".into(), "!=".into(), "".into(), ")".into()]),
            Ok(Cond::Equals(_, ref v, true)) if v.is_empty()
        ));
        assert!(matches!(
            condition(&words("($http_x ~* (a|b))")),
            Ok(Cond::Matches(_, ref re, false, _)) if re.is_match("xBx") && !re.is_match("c")
        ));
        assert!(condition(&words("(-f $request_filename)")).is_err());
        assert!(condition(&words("($x <> y)")).is_err());
    }

    #[test]
    fn replacements_keep_captures_apart() {
        let p = replacement("/new/$1?x=$2&h=$host").unwrap();
        assert_eq!(p.len(), 5);
        assert!(matches!(p[1], Piece::Capture(1)));
        assert!(matches!(p[3], Piece::Capture(2)));
        assert!(replacement("/$nosuchvar").is_err());
    }
}
