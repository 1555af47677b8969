//! HAProxy's conditional blocks (`.if COND` … `.elif COND` … `.else` … `.endif`) and its
//! reader's messages (`.notice`, `.warning`, `.alert`, `.diag`), evaluated as HAProxy 2.6's
//! `cfgcond.c` does while it reads a file: the lines of a branch not taken are never seen.
//!
//! Conditions answer as the HAProxy the keyword tables describe (2.6, with Debian's build
//! features), so that a file reads as `haproxy -c` reads it on such a machine.

use std::collections::HashSet;

use super::cst::TextRange;

/// The HAProxy version conditions compare with (`version_atleast`, `version_before`).
const VERSION: &str = "2.6.12";
/// The OpenSSL version of the same build (`openssl_version_atleast`, …).
const OPENSSL_VERSION: &str = "3.0.17";
/// The build's features (`feature(NAME)`): Debian's HAProxy 2.6 package.
const FEATURES: &[&str] = &[
    "ACCEPT4",
    "BACKTRACE",
    "CPU_AFFINITY",
    "CRYPT_H",
    "DL",
    "EPOLL",
    "GETADDRINFO",
    "LIBCRYPT",
    "LINUX_SPLICE",
    "LINUX_TPROXY",
    "LUA",
    "NETFILTER",
    "NS",
    "OPENSSL",
    "OT",
    "PCRE2",
    "PCRE2_JIT",
    "POLL",
    "PRCTL",
    "PROMEX",
    "RT",
    "SLZ",
    "SYSTEMD",
    "TFO",
    "THREAD",
    "THREAD_DUMP",
    "TPROXY",
];

/// What the reader's directives of one file come to.
#[derive(Default)]
pub struct Blocks {
    /// The start of every line HAProxy does not read: the directives themselves and the lines
    /// of branches not taken.
    pub skipped: HashSet<u32>,
    /// Messages of the file, in order: `.notice`/`.diag` (info), `.warning`, `.alert` and
    /// malformed directives (errors).
    pub messages: Vec<Message>,
    stack: Vec<Open>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warning,
    Error,
}

#[derive(Debug, Clone)]
pub struct Message {
    pub range: TextRange,
    pub level: Level,
    pub text: String,
}

/// One open `.if`: whether a branch was taken already, whether lines are read now, and
/// whether `.else` was seen.
struct Open {
    taken: bool,
    reading: bool,
    after_else: bool,
    at: TextRange,
}

impl Blocks {
    /// Reads one line (in file order) whose words, as HAProxy reads them, are `w`; `defined`
    /// tells whether an environment variable is set. True when HAProxy reads the line as
    /// configuration (not a directive, not in a branch not taken).
    pub fn step(&mut self, range: TextRange, w: &[String], defined: &dyn Fn(&str) -> bool) -> bool {
        let reading = self.stack.iter().all(|o| o.reading);
        let Some(kw) = w.first().map(String::as_str).filter(|k| k.starts_with('.')) else {
            if !reading {
                self.skipped.insert(range.start);
            }
            return reading;
        };
        self.skipped.insert(range.start);
        let cond = || w[1..].join(" ");
        match kw {
            ".if" => {
                let holds = reading && self.eval(&cond(), range, defined);
                self.stack.push(Open {
                    taken: holds,
                    reading: holds,
                    after_else: false,
                    at: range,
                });
            }
            ".elif" | ".else" => {
                let n = self.stack.len();
                let outer = n < 2 || self.stack[..n - 1].iter().all(|o| o.reading);
                let Some(top) = self.stack.last() else {
                    self.error(range, format!("`{kw}` without a matching `.if`"));
                    return false;
                };
                if top.after_else {
                    self.error(range, format!("`{kw}` after `.else`"));
                    return false;
                }
                let holds = if top.taken || !outer {
                    false
                } else if kw == ".else" {
                    true
                } else {
                    self.eval(&cond(), range, defined)
                };
                if let Some(top) = self.stack.last_mut() {
                    top.reading = holds;
                    top.taken |= holds;
                    top.after_else = kw == ".else";
                }
            }
            ".endif" => {
                let closed = self.stack.pop();
                if closed.is_none() {
                    self.error(range, "`.endif` without a matching `.if`".into());
                }
            }
            ".notice" | ".diag" | ".warning" | ".alert" if reading => {
                let level = match kw {
                    ".warning" => Level::Warning,
                    ".alert" => Level::Error,
                    _ => Level::Info,
                };
                self.messages.push(Message {
                    range,
                    level,
                    text: w[1..].join(" "),
                });
            }
            ".notice" | ".diag" | ".warning" | ".alert" => {}
            _ if reading => self.error(range, format!("unknown directive `{kw}`")),
            _ => {}
        }
        false
    }

    /// Reports the blocks still open at the end of the file.
    pub fn finish(&mut self) {
        for o in std::mem::take(&mut self.stack) {
            self.error(o.at, "`.if` without a matching `.endif`".into());
        }
    }

    fn error(&mut self, range: TextRange, text: String) {
        self.messages.push(Message {
            range,
            level: Level::Error,
            text,
        });
    }

    fn eval(&mut self, text: &str, at: TextRange, defined: &dyn Fn(&str) -> bool) -> bool {
        let mut p = Parser {
            s: text.as_bytes(),
            i: 0,
            defined,
        };
        match p.expr(0) {
            Ok(v) => {
                p.space();
                if p.i < p.s.len() {
                    self.error(
                        at,
                        format!("unexpected `{}` in the condition", &text[p.i..]),
                    );
                    return false;
                }
                v
            }
            Err(e) => {
                self.error(at, e);
                false
            }
        }
    }
}

/// A recursive-descent reader of `cfgcond.c`'s grammar: `||` of `&&` of terms; a term is
/// `!term`, `(expr)`, `predicate(args)`, or a word (true when a non-zero number, false when
/// empty or zero).
struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    defined: &'a dyn Fn(&str) -> bool,
}

impl Parser<'_> {
    fn space(&mut self) {
        while self.s.get(self.i).is_some_and(u8::is_ascii_whitespace) {
            self.i += 1;
        }
    }

    fn eat(&mut self, t: &str) -> bool {
        self.space();
        if self.s[self.i..].starts_with(t.as_bytes()) {
            self.i += t.len();
            true
        } else {
            false
        }
    }

    fn expr(&mut self, depth: usize) -> Result<bool, String> {
        if depth > 1024 {
            return Err("the condition nests too deeply".into());
        }
        let mut v = self.and(depth)?;
        while self.eat("||") {
            let r = self.and(depth)?;
            v = v || r;
        }
        Ok(v)
    }

    fn and(&mut self, depth: usize) -> Result<bool, String> {
        let mut v = self.term(depth)?;
        while self.eat("&&") {
            let r = self.term(depth)?;
            v = v && r;
        }
        Ok(v)
    }

    fn term(&mut self, depth: usize) -> Result<bool, String> {
        if self.eat("!") {
            return Ok(!self.term(depth + 1)?);
        }
        if self.eat("(") {
            let v = self.expr(depth + 1)?;
            if !self.eat(")") {
                return Err("missing `)` in the condition".into());
            }
            return Ok(v);
        }
        self.space();
        let start = self.i;
        while self
            .s
            .get(self.i)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'.' || *c == b'-')
        {
            self.i += 1;
        }
        let word = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
        if self.s.get(self.i) != Some(&b'(') {
            // A bare word: a number is true when not zero; anything else is an error in
            // HAProxy except the empty condition (false).
            if word.is_empty() {
                return Ok(false);
            }
            return match word.parse::<i64>() {
                Ok(n) => Ok(n != 0),
                Err(_) => Err(format!("unknown term `{word}` in the condition")),
            };
        }
        self.i += 1;
        let close = self.s[self.i..]
            .iter()
            .position(|&c| c == b')')
            .ok_or_else(|| format!("missing `)` after `{word}(`"))?;
        let inside = String::from_utf8_lossy(&self.s[self.i..self.i + close]).into_owned();
        self.i += close + 1;
        let args: Vec<&str> = if inside.trim().is_empty() {
            Vec::new()
        } else {
            inside.split(',').map(str::trim).collect()
        };
        predicate(&word, &args, self.defined)
    }
}

fn predicate(name: &str, args: &[&str], defined: &dyn Fn(&str) -> bool) -> Result<bool, String> {
    let one = || match args {
        [a] => Ok(*a),
        _ => Err(format!("`{name}` takes one argument")),
    };
    let two = || match args {
        [a, b] => Ok((*a, *b)),
        _ => Err(format!("`{name}` takes two arguments")),
    };
    Ok(match name {
        "defined" => defined(one()?),
        "feature" => FEATURES.contains(&one()?),
        "streq" => {
            let (a, b) = two()?;
            a == b
        }
        "strneq" => {
            let (a, b) = two()?;
            a != b
        }
        "strstr" => {
            let (a, b) = two()?;
            a.contains(b)
        }
        "version_atleast" => compare(VERSION, one()?) != std::cmp::Ordering::Less,
        "version_before" => compare(VERSION, one()?) == std::cmp::Ordering::Less,
        "openssl_version_atleast" => compare(OPENSSL_VERSION, one()?) != std::cmp::Ordering::Less,
        "openssl_version_before" => compare(OPENSSL_VERSION, one()?) == std::cmp::Ordering::Less,
        "ssllib_name_startswith" => "OpenSSL".starts_with(one()?),
        "enabled" => matches!(
            one()?,
            "POLL"
                | "EPOLL"
                | "THREADS"
                | "SPLICE"
                | "GETADDRINFO"
                | "REUSEPORT"
                | "FAST-FORWARD"
                | "SERVER-SSL-VERIFY-NONE"
        ),
        _ => return Err(format!("unknown predicate `{name}` in the condition")),
    })
}

/// Compares dotted versions number by number (`2.6.12` ≥ `2.6`); a missing number is zero.
fn compare(have: &str, want: &str) -> std::cmp::Ordering {
    let nums = |v: &str| -> Vec<u64> {
        v.split(['.', '-'])
            .map(|p| {
                p.chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>()
                    .parse()
                    .unwrap_or(0)
            })
            .collect()
    };
    let (a, b) = (nums(have), nums(want));
    for i in 0..a.len().max(b.len()) {
        let o = a.get(i).unwrap_or(&0).cmp(b.get(i).unwrap_or(&0));
        if o.is_ne() {
            return o;
        }
    }
    std::cmp::Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(text: &str) -> Result<bool, String> {
        let mut b = Blocks::default();
        let v = b.eval(text, TextRange::new(0, 0), &|n| n == "SET");
        match b.messages.pop() {
            Some(m) => Err(m.text),
            None => Ok(v),
        }
    }

    #[test]
    fn conditions() {
        assert_eq!(eval("feature(THREAD)"), Ok(true));
        assert_eq!(eval("feature(QUIC)"), Ok(false));
        assert_eq!(eval("!feature(QUIC) && version_atleast(2.4)"), Ok(true));
        assert_eq!(eval("version_before(2.6) || streq(a,a)"), Ok(true));
        assert_eq!(eval("version_atleast(2.6.13)"), Ok(false));
        assert_eq!(eval("(0 || 1) && !(strneq(x, x))"), Ok(true));
        assert_eq!(eval(""), Ok(false));
        assert_eq!(eval("7"), Ok(true));
        assert_eq!(eval("defined(SET) && !defined(UNSET)"), Ok(true));
        assert!(eval("bogus(1)").is_err());
        assert!(eval("feature(THREAD").is_err());
    }
}
