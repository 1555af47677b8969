//! Sets of request URIs described by nginx location matchers, and exact inclusion tests between them (product of DFAs).
//!
//! A [`Lang`] is a set of byte strings. Regex atoms follow nginx/PCRE semantics without the UTF flag: the URI is
//! in the set when the pattern matches anywhere in it, on bytes, ASCII-only case folding for `~*`. PCRE syntax is
//! translated to `regex-syntax` first (`\<`, `\h`, `\Z`, `\e`, `\cX`, `\0oo`, literal `{`, `[&&]`, non-ASCII
//! bytes, ...); what cannot be expressed exactly (look-around, backreferences, possessive/atomic groups, `\Q`,
//! the `x` flag, ...) is [`Unsupported::Syntax`].
//!
//! Decisions (`difference_witness`, `is_subset`, `is_empty`) are exact over URIs that contain no `\n` byte; on
//! that domain PCRE's `$` (end or before a final newline) is the plain end of the URI. Witnesses never contain
//! `\n`, and nothing here assumes that a URI starts with `/`: intersect with `Prefix(b"/")` for that.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;

use regex_automata::dfa::{dense, Automaton, StartKind};
use regex_automata::nfa::thompson;
use regex_automata::util::{primitives::StateID, start};
use regex_automata::{meta, Anchored, MatchKind};
use regex_syntax::hir::Hir;

/// A set of request URIs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lang {
    Empty,
    All,
    Exact(Vec<u8>),
    Prefix(Vec<u8>),
    Regex {
        pattern: String,
        case_insensitive: bool,
    },
    Union(Vec<Lang>),
    Inter(Vec<Lang>),
    Diff(Box<Lang>, Box<Lang>),
}

/// Why a question could not be decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unsupported {
    /// A pattern that cannot be analysed exactly, with the reason.
    Syntax(String),
    /// A DFA or the product exceeded its budget.
    TooLarge,
}

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unsupported::Syntax(why) => write!(f, "unsupported regex: {why}"),
            Unsupported::TooLarge => f.write_str("automaton too large to analyse"),
        }
    }
}

impl std::error::Error for Unsupported {}

/// Limits on the work done by one decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub max_dfa_states: usize,
    pub max_product_states: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            max_dfa_states: 10_000,
            max_product_states: 200_000,
        }
    }
}

/// Some URI in `a` and not in `b` (a witness that a ⊄ b), or None when a ⊆ b. Prefer a short witness (BFS order).
pub fn difference_witness(
    a: &Lang,
    b: &Lang,
    budget: &Budget,
) -> Result<Option<Vec<u8>>, Unsupported> {
    let mut keys = Vec::new();
    let target = E::And(vec![
        lower(a, &mut keys),
        E::Not(Box::new(lower(b, &mut keys))),
    ]);
    let autos = keys
        .iter()
        .map(|k| build_auto(k, budget))
        .collect::<Result<Vec<_>, _>>()?;
    search(&target, &autos, budget)
}

pub fn is_subset(a: &Lang, b: &Lang, budget: &Budget) -> Result<bool, Unsupported> {
    Ok(difference_witness(a, b, budget)?.is_none())
}

pub fn is_empty(a: &Lang, budget: &Budget) -> Result<bool, Unsupported> {
    is_subset(a, &Lang::Empty, budget)
}

/// Does this single URI belong to the language? (evaluates atoms directly; used by tests and the runtime)
pub fn contains(lang: &Lang, uri: &[u8]) -> Result<bool, Unsupported> {
    Ok(match lang {
        Lang::Empty => false,
        Lang::All => true,
        Lang::Exact(e) => uri == e.as_slice(),
        Lang::Prefix(p) => uri.starts_with(p),
        Lang::Regex {
            pattern,
            case_insensitive,
        } => cached(&REGEXES, (pattern.clone(), *case_insensitive), |(p, ci)| {
            let limit = Budget::default().max_dfa_states.saturating_mul(2048);
            let config = meta::Config::new()
                .utf8_empty(false)
                .nfa_size_limit(Some(limit));
            meta::Regex::builder()
                .configure(config)
                .build_from_hir(&parse(p, *ci)?)
                .map_err(|e| {
                    if e.size_limit().is_some() {
                        Unsupported::TooLarge
                    } else {
                        syntax(e.to_string())
                    }
                })
        })?
        .is_match(uri),
        Lang::Union(v) => {
            for l in v {
                if contains(l, uri)? {
                    return Ok(true);
                }
            }
            false
        }
        Lang::Inter(v) => {
            for l in v {
                if !contains(l, uri)? {
                    return Ok(false);
                }
            }
            true
        }
        Lang::Diff(a, b) => contains(a, uri)? && !contains(b, uri)?,
    })
}

/// Check a pattern compiles for analysis (Ok) or why not.
pub fn check_regex(pattern: &str, case_insensitive: bool) -> Result<(), Unsupported> {
    let key = Key::Regex(pattern.to_string(), case_insensitive);
    build_auto(&key, &Budget::default()).map(|_| ())
}

fn syntax(why: impl Into<String>) -> Unsupported {
    Unsupported::Syntax(why.into())
}

const VSPACE: &str = r"\n\x0B\x0C\r\x85";

fn push_bytes(out: &mut String, c: char) {
    let mut buf = [0u8; 4];
    for b in c.encode_utf8(&mut buf).bytes() {
        out.push_str(&format!(r"\x{b:02X}"));
    }
}

/// Length of a PCRE counted quantifier `{n}`, `{n,}`, `{n,m}` at the start of `c`; `Err` for the ambiguous `{,m}`.
fn counted_len(c: &[char]) -> Result<Option<usize>, Unsupported> {
    let digits = |from: usize| {
        c[from..]
            .iter()
            .take_while(|ch| ch.is_ascii_digit())
            .count()
    };
    let n = digits(1);
    let mut i = 1 + n;
    if c.get(i) == Some(&',') {
        i += 1 + digits(i + 1);
    }
    match c.get(i) {
        Some('}') if n > 0 => Ok(Some(i + 1)),
        Some('}') if i > 2 => Err(syntax("`{,m}` means different things in PCRE versions")),
        _ => Ok(None),
    }
}

/// Rewrites PCRE (non-UTF mode) syntax into equivalent `regex-syntax` syntax, or says why it cannot.
fn translate(p: &str) -> Result<String, Unsupported> {
    let c: Vec<char> = p.chars().collect();
    let mut out = String::with_capacity(p.len() + 8);
    let (mut i, mut prev_quant) = (0, false);
    while i < c.len() {
        let mut quant = false;
        match c[i] {
            '\\' => {
                i += 1;
                let e = *c.get(i).ok_or_else(|| syntax("trailing backslash"))?;
                match e {
                    'Z' => out.push_str(r"\z"),
                    'h' => out.push_str(r"[\t \xA0]"),
                    'H' => out.push_str(r"[^\t \xA0]"),
                    'v' => out.push_str(&format!("[{VSPACE}]")),
                    'V' => out.push_str(&format!("[^{VSPACE}]")),
                    'R' => out.push_str(&format!(r"(?:\r\n|[{VSPACE}])")),
                    'N' if c.get(i + 1) != Some(&'{') => out.push_str(r"[^\n]"),
                    '<' | '>' => out.push(e),
                    _ => i = escape_common(&c, i, &mut out)?,
                }
            }
            '[' => i = class(&c, i, &mut out)?,
            '(' if c.get(i + 1) == Some(&'*') => {
                return Err(syntax("PCRE verbs `(*...)` are not supported"))
            }
            '(' if c.get(i + 1) == Some(&'?') => i = group(&c, i, &mut out)?,
            q @ ('*' | '+' | '?') => {
                out.push(q);
                quant = true;
            }
            '{' => match counted_len(&c[i..])? {
                Some(len) => {
                    out.extend(&c[i..i + len]);
                    i += len - 1;
                    quant = true;
                }
                None => out.push_str(r"\{"),
            },
            '}' => out.push_str(r"\}"),
            ch if !ch.is_ascii() => push_bytes(&mut out, ch),
            ch => out.push(ch),
        }
        if quant {
            if prev_quant {
                return Err(syntax("quantifier follows a quantifier"));
            }
            match c.get(i + 1) {
                Some('?') => {
                    out.push('?');
                    i += 1;
                }
                Some('+') => return Err(syntax("possessive quantifiers are not supported")),
                _ => {}
            }
        }
        prev_quant = quant;
        i += 1;
    }
    Ok(out)
}

/// Escapes meaning the same inside and outside a class; `c[i]` follows the backslash. Returns the last index used.
fn escape_common(c: &[char], i: usize, out: &mut String) -> Result<usize, Unsupported> {
    match c[i] {
        'e' => out.push_str(r"\x1B"),
        'c' => {
            let x = c
                .get(i + 1)
                .filter(|x| x.is_ascii_graphic())
                .ok_or_else(|| syntax(r"bad \c escape"))?;
            out.push_str(&format!(r"\x{:02X}", (x.to_ascii_uppercase() as u8) ^ 0x40));
            return Ok(i + 1);
        }
        '0' => {
            let n = c[i + 1..]
                .iter()
                .take(2)
                .take_while(|d| ('0'..='7').contains(*d))
                .count();
            let v = c[i + 1..=i + n]
                .iter()
                .fold(0u32, |v, d| v * 8 + (*d as u32 - '0' as u32));
            out.push_str(&format!(r"\x{v:02X}"));
            return Ok(i + n);
        }
        d @ '1'..='9' => return Err(syntax(format!(r"backreference or octal escape \{d}"))),
        e @ ('Q' | 'E' | 'G' | 'K' | 'X' | 'C' | 'g' | 'k' | 'p' | 'P' | 'u' | 'U' | 'l' | 'L'
        | 'N' | 'o') => return Err(syntax(format!(r"PCRE escape \{e} is not supported"))),
        e if !e.is_ascii() => push_bytes(out, e),
        e => {
            out.push('\\');
            out.push(e);
        }
    }
    Ok(i)
}

/// Translates the class starting at `c[i] == '['`; returns the index of its closing `]`.
fn class(c: &[char], mut i: usize, out: &mut String) -> Result<usize, Unsupported> {
    out.push('[');
    i += 1;
    if c.get(i) == Some(&'^') {
        out.push('^');
        i += 1;
    }
    let first = i;
    loop {
        let ch = *c.get(i).ok_or_else(|| syntax("unclosed character class"))?;
        match ch {
            ']' if i > first => {
                out.push(']');
                return Ok(i);
            }
            '\\' => {
                i += 1;
                let e = *c.get(i).ok_or_else(|| syntax("trailing backslash"))?;
                match e {
                    'h' => out.push_str(r"\t \xA0"),
                    'v' => out.push_str(VSPACE),
                    'b' => out.push_str(r"\x08"),
                    '<' | '>' => out.push(e),
                    'H' | 'V' | 'R' => {
                        return Err(syntax(format!(r"\{e} inside a class is not supported")))
                    }
                    _ => i = escape_common(c, i, out)?,
                }
            }
            '[' if c.get(i + 1) == Some(&':') => {
                let end =
                    (i + 2..c.len().saturating_sub(1)).find(|&j| c[j] == ':' && c[j + 1] == ']');
                let end = end.ok_or_else(|| syntax("unclosed POSIX class"))?;
                out.extend(&c[i..=end + 1]);
                i = end + 1;
            }
            '-' if c.get(i + 1) == Some(&'-') => {
                return Err(syntax("`--` inside a class is not supported"))
            }
            '[' | ']' | '&' | '~' => {
                out.push('\\');
                out.push(ch);
            }
            ch if !ch.is_ascii() => push_bytes(out, ch),
            ch => out.push(ch),
        }
        i += 1;
    }
}

/// Translates a group opening `(?` at `c[i]`; returns the last index used.
fn group(c: &[char], i: usize, out: &mut String) -> Result<usize, Unsupported> {
    match (c.get(i + 2), c.get(i + 3)) {
        (Some('<'), Some('=' | '!')) | (Some('=' | '!'), _) => {
            Err(syntax("look-around is not supported"))
        }
        (Some('<'), _) => {
            out.push_str("(?<");
            Ok(i + 2)
        }
        (Some('P'), Some('<')) => {
            out.push_str("(?P<");
            Ok(i + 3)
        }
        (Some('#'), _) => match c[i..].iter().position(|&x| x == ')') {
            Some(n) => Ok(i + n), // a comment: dropped
            None => Err(syntax("unclosed comment")),
        },
        _ => {
            let n = c[i + 2..]
                .iter()
                .take_while(|x| matches!(x, 'i' | 'm' | 's' | 'U' | '-'))
                .count();
            match c.get(i + 2 + n) {
                Some(':' | ')') => {
                    out.extend(&c[i..=i + 1 + n]);
                    Ok(i + 1 + n)
                }
                _ => Err(syntax("unsupported group syntax or flag after `(?`")),
            }
        }
    }
}

fn parse(pattern: &str, case_insensitive: bool) -> Result<Hir, Unsupported> {
    let translated = translate(pattern)?;
    let mut parser = regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .case_insensitive(case_insensitive)
        .nest_limit(100)
        .build();
    parser.parse(&translated).map_err(|e| {
        syntax(match &e {
            regex_syntax::Error::Parse(x) => x.kind().to_string(),
            regex_syntax::Error::Translate(x) => x.kind().to_string(),
            _ => e.to_string(),
        })
    })
}

/// Boolean expression over atom indexes, evaluated in Kleene three-valued logic.
enum E {
    Const(bool),
    Atom(usize),
    Not(Box<E>),
    Or(Vec<E>),
    And(Vec<E>),
}

fn eval(e: &E, f: &dyn Fn(usize) -> Option<bool>) -> Option<bool> {
    match e {
        E::Const(b) => Some(*b),
        E::Atom(k) => f(*k),
        E::Not(x) => eval(x, f).map(|v| !v),
        E::Or(v) | E::And(v) => {
            let absorbing = matches!(e, E::Or(_));
            let mut r = Some(!absorbing);
            for x in v {
                match eval(x, f) {
                    Some(b) if b == absorbing => return Some(b),
                    None => r = None,
                    _ => {}
                }
            }
            r
        }
    }
}

/// One atom. Regexes under a union get separate DFAs on purpose: their product, cut short once the union is
/// decided, is much cheaper than determinizing a multi-pattern search that keeps running after a match.
#[derive(Clone, PartialEq, Eq, Hash)]
enum Key {
    Regex(String, bool),
    Prefix(Vec<u8>),
    Exact(Vec<u8>),
}

fn atom(keys: &mut Vec<Key>, key: Key) -> E {
    E::Atom(keys.iter().position(|k| *k == key).unwrap_or_else(|| {
        keys.push(key);
        keys.len() - 1
    }))
}

fn lower(l: &Lang, keys: &mut Vec<Key>) -> E {
    match l {
        Lang::Empty => E::Const(false),
        Lang::All => E::Const(true),
        Lang::Prefix(p) if p.is_empty() => E::Const(true),
        Lang::Prefix(p) => atom(keys, Key::Prefix(p.clone())),
        Lang::Exact(x) => atom(keys, Key::Exact(x.clone())),
        Lang::Regex {
            pattern,
            case_insensitive,
        } => atom(keys, Key::Regex(pattern.clone(), *case_insensitive)),
        Lang::Union(v) => E::Or(v.iter().map(|x| lower(x, keys)).collect()),
        Lang::Inter(v) => E::And(v.iter().map(|x| lower(x, keys)).collect()),
        Lang::Diff(a, b) => E::And(vec![lower(a, keys), E::Not(Box::new(lower(b, keys)))]),
    }
}

/// A complete DFA on its own byte classes. State 0 rejects forever, state 1 accepts forever.
struct Auto {
    cls: [u16; 256],
    stride: usize,
    trans: Vec<u32>,
    eoi: Vec<bool>,
    start: u32,
}

impl Auto {
    fn sinks(stride: usize) -> Auto {
        let mut trans = vec![0; 2 * stride];
        trans[stride..].fill(1);
        Auto {
            cls: [0; 256],
            stride,
            trans,
            eoi: vec![false, true],
            start: 0,
        }
    }

    fn next(&self, s: u32, b: u8) -> u32 {
        self.trans[s as usize * self.stride + self.cls[b as usize] as usize]
    }
}

thread_local! {
    /// Compiled atoms (or why they failed) by atom and DFA budget, and regexes for `contains`.
    static AUTOS: RefCell<HashMap<(Key, usize), Result<Rc<Auto>, Unsupported>>> = RefCell::default();
    static REGEXES: RefCell<HashMap<(String, bool), Result<meta::Regex, Unsupported>>> = RefCell::default();
}

/// Looks `key` up in a bounded per-thread cache, computing it on a miss.
fn cached<K: Eq + std::hash::Hash, V: Clone>(
    cache: &'static std::thread::LocalKey<RefCell<HashMap<K, V>>>,
    key: K,
    make: impl FnOnce(&K) -> V,
) -> V {
    if let Some(v) = cache.with(|c| c.borrow().get(&key).cloned()) {
        return v;
    }
    let v = make(&key);
    cache.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= 1024 {
            c.clear();
        }
        c.insert(key, v.clone());
    });
    v
}

fn build_auto(key: &Key, budget: &Budget) -> Result<Rc<Auto>, Unsupported> {
    cached(&AUTOS, (key.clone(), budget.max_dfa_states), |(key, _)| {
        Ok(Rc::new(minimize(match key {
            Key::Regex(pattern, ci) => regex_auto(pattern, *ci, budget)?,
            Key::Prefix(lit) => literal_auto(lit, true),
            Key::Exact(lit) => literal_auto(lit, false),
        })))
    })
}

/// States `2 + k`: the first `k` bytes of `lit` were read.
fn literal_auto(lit: &[u8], prefix: bool) -> Auto {
    let mut cls = [0u16; 256];
    let mut stride = 1;
    for &b in lit {
        if cls[b as usize] == 0 {
            cls[b as usize] = stride;
            stride += 1;
        }
    }
    let mut a = Auto {
        cls,
        ..Auto::sinks(stride as usize)
    };
    for k in 0..=lit.len() {
        let s = (2 + k) as u32;
        a.trans.extend(std::iter::repeat_n(0, a.stride));
        a.eoi.push(!prefix && k == lit.len());
        if let Some(&b) = lit.get(k) {
            let last = a.trans.len() - a.stride;
            a.trans[last + cls[b as usize] as usize] = if prefix && k + 1 == lit.len() {
                1
            } else {
                s + 1
            };
        }
    }
    a.start = if prefix && lit.is_empty() { 1 } else { 2 };
    a
}

/// Unanchored DFA; reaching a match state means "the pattern matched somewhere", hence state 1.
fn regex_auto(pattern: &str, ci: bool, budget: &Budget) -> Result<Auto, Unsupported> {
    let hir = parse(pattern, ci)?;
    let limit = budget.max_dfa_states.saturating_mul(2048).max(1 << 16);
    let nfa_config = thompson::Config::new()
        .utf8(false)
        .shrink(false)
        .which_captures(thompson::WhichCaptures::None)
        .nfa_size_limit(Some(limit));
    let nfa = thompson::Compiler::new()
        .configure(nfa_config)
        .build_from_hir(&hir)
        .map_err(|e| {
            if e.size_limit().is_some() {
                Unsupported::TooLarge
            } else {
                syntax(e.to_string())
            }
        })?;
    let dfa_config = dense::Config::new()
        .start_kind(StartKind::Unanchored)
        .match_kind(MatchKind::All)
        .minimize(false)
        .accelerate(false)
        .specialize_start_states(false)
        .dfa_size_limit(Some(limit))
        .determinize_size_limit(Some(limit));
    let dfa = dense::Builder::new()
        .configure(dfa_config)
        .build_from_nfa(&nfa)
        .map_err(|e| {
            if e.is_size_limit_exceeded() {
                Unsupported::TooLarge
            } else {
                syntax(e.to_string())
            }
        })?;
    let classes = dfa.byte_classes();
    let mut a = Auto::sinks(classes.alphabet_len() - 1);
    let mut reps = vec![0u8; a.stride];
    for b in (0..=255u8).rev() {
        let k = classes.get(b);
        a.cls[b as usize] = u16::from(k);
        reps[k as usize] = b;
    }
    let start = dfa
        .start_state(&start::Config::new().anchored(Anchored::No))
        .map_err(|e| syntax(e.to_string()))?;
    let mut ids: HashMap<StateID, u32> = HashMap::new();
    let mut todo: Vec<StateID> = Vec::new();
    let mut intern =
        |s: StateID, a: &mut Auto, todo: &mut Vec<StateID>| -> Result<u32, Unsupported> {
            if dfa.is_dead_state(s) {
                return Ok(0);
            } else if dfa.is_match_state(s) {
                return Ok(1);
            } else if dfa.is_quit_state(s) {
                return Err(syntax("pattern needs Unicode-aware matching"));
            } else if let Some(&id) = ids.get(&s) {
                return Ok(id);
            } else if a.eoi.len() >= budget.max_dfa_states {
                return Err(Unsupported::TooLarge);
            }
            let id = a.eoi.len() as u32;
            ids.insert(s, id);
            a.eoi.push(dfa.is_match_state(dfa.next_eoi_state(s)));
            a.trans.extend(std::iter::repeat_n(0, a.stride));
            todo.push(s);
            Ok(id)
        };
    a.start = intern(start, &mut a, &mut todo)?;
    let mut done = 2;
    while done < a.eoi.len() {
        let s = todo[done - 2];
        for (k, &b) in reps.iter().enumerate() {
            let t = intern(dfa.next_state(s, b), &mut a, &mut todo)?;
            a.trans[done * a.stride + k] = t;
        }
        done += 1;
    }
    Ok(a)
}

/// Moore partition refinement; gives up (keeping `a`) when it does not converge quickly.
fn minimize(a: Auto) -> Auto {
    let (n, st) = (a.eoi.len(), a.stride);
    let mut part: Vec<u32> = a.eoi.iter().map(|&e| u32::from(e)).collect();
    let mut blocks = 2;
    for _ in 0..64 {
        let mut map: HashMap<Vec<u32>, u32> = HashMap::new();
        let next: Vec<u32> = (0..n)
            .map(|s| {
                let row = a.trans[s * st..(s + 1) * st]
                    .iter()
                    .map(|&t| part[t as usize]);
                let key: Vec<u32> = std::iter::once(part[s]).chain(row).collect();
                let fresh = map.len() as u32;
                *map.entry(key).or_insert(fresh)
            })
            .collect();
        let stable = map.len() == blocks;
        (blocks, part) = (map.len(), next);
        if !stable {
            continue;
        }
        // Renumber so that the blocks of states 0 and 1 keep those numbers.
        let mut ren = vec![u32::MAX; blocks];
        let mut order = Vec::with_capacity(blocks);
        for s in 0..n {
            if ren[part[s] as usize] == u32::MAX {
                ren[part[s] as usize] = order.len() as u32;
                order.push(s);
            }
        }
        let trans = order.iter().flat_map(|&s| {
            a.trans[s * st..(s + 1) * st]
                .iter()
                .map(|&t| ren[part[t as usize] as usize])
        });
        let trans = trans.collect();
        let eoi = order.iter().map(|&s| a.eoi[s]).collect();
        return Auto {
            trans,
            eoi,
            start: ren[part[a.start as usize] as usize],
            ..a
        };
    }
    a
}

/// Bytes in the order witnesses should prefer them; never `\n`.
fn preferred_bytes() -> Vec<u8> {
    let mut v = b"abcdefghijklmnopqrstuvwxyz0123456789/.-_ABCDEFGHIJKLMNOPQRSTUVWXYZ".to_vec();
    for b in (0x20..0x7f).chain(0x80..=0xff).chain(0..0x20) {
        if !v.contains(&b) && b != b'\n' {
            v.push(b);
        }
    }
    v
}

/// Breadth-first search of the product automaton for a string on which `target` is true.
fn search(target: &E, autos: &[Rc<Auto>], budget: &Budget) -> Result<Option<Vec<u8>>, Unsupported> {
    let n = autos.len();
    let mut reps = Vec::new();
    let mut seen_cls = std::collections::HashSet::new();
    for b in preferred_bytes() {
        if seen_cls.insert(autos.iter().map(|a| a.cls[b as usize]).collect::<Vec<_>>()) {
            reps.push(b);
        }
    }
    let start: Vec<u32> = autos.iter().map(|a| a.start).collect();
    let mut tuples = start.clone();
    let mut index = HashMap::from([(start, 0u32)]);
    let mut parent: Vec<(u32, u8)> = vec![(u32::MAX, 0)];
    let mut i = 0;
    while i < parent.len() {
        let cur = tuples[i * n..(i + 1) * n].to_vec();
        if eval(target, &|k| Some(autos[k].eoi[cur[k] as usize])) == Some(true) {
            let mut path = Vec::new();
            let mut j = i;
            while j != 0 {
                path.push(parent[j].1);
                j = parent[j].0 as usize;
            }
            path.reverse();
            return Ok(Some(path));
        }
        // Explore further only while the continuations can still disagree.
        if eval(target, &|k| {
            [Some(false), Some(true)]
                .get(cur[k] as usize)
                .copied()
                .flatten()
        })
        .is_none()
        {
            for &b in &reps {
                let next: Vec<u32> = (0..n).map(|k| autos[k].next(cur[k], b)).collect();
                if !index.contains_key(&next) {
                    if parent.len() >= budget.max_product_states {
                        return Err(Unsupported::TooLarge);
                    }
                    tuples.extend_from_slice(&next);
                    index.insert(next, parent.len() as u32);
                    parent.push((i as u32, b));
                }
            }
        }
        i += 1;
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rx(p: &str) -> Lang {
        Lang::Regex {
            pattern: p.to_string(),
            case_insensitive: false,
        }
    }
    fn rxi(p: &str) -> Lang {
        Lang::Regex {
            pattern: p.to_string(),
            case_insensitive: true,
        }
    }
    fn sub(a: &Lang, b: &Lang) -> bool {
        let w = difference_witness(a, b, &Budget::default()).unwrap();
        if let Some(w) = &w {
            assert!(
                contains(a, w).unwrap() && !contains(b, w).unwrap(),
                "bad witness {w:?}"
            );
        }
        w.is_none()
    }
    fn is_syntax_err(p: &str) -> bool {
        matches!(check_regex(p, false), Err(Unsupported::Syntax(_)))
    }

    #[test]
    fn regex_inclusions() {
        assert!(sub(&rx(r"\.php$"), &rx(r"\.php")));
        assert!(!sub(&rx(r"\.php"), &rx(r"\.php$")));
        assert_eq!(
            difference_witness(&rx(r"\.php"), &rx(r"\.php$"), &Budget::default()),
            Ok(Some(b".phpa".to_vec()))
        );
        assert!(sub(&rx("^/a/(b|c)"), &rx("^/a/(b|c)")));
        assert!(sub(&rx(r"\.php$"), &rxi(r"\.PHP$")));
        assert!(!sub(&rxi(r"\.PHP$"), &rx(r"\.php$")));
        assert!(sub(
            &rx(r"^/static/.*\.js$"),
            &Lang::Prefix(b"/static/".to_vec())
        ));
        assert!(!sub(&rx("/edu/"), &rx("/vod/")) && !sub(&rx("/vod/"), &rx("/edu/")));
        // `$` binds: only URIs ending in `.`, `.gif` or `.jpg`; without `$` it is "contains a dot".
        assert!(
            sub(&rx(r".*\.(gif|jpg)?$"), &rx(r"\.")) && !sub(&rx(r"\."), &rx(r".*\.(gif|jpg)?$"))
        );
        assert!(sub(&rx(r".*\.(gif|jpg)?"), &rx(r"\.")) && sub(&rx(r"\."), &rx(r".*\.(gif|jpg)?")));
        assert!(sub(&rx(r"\/api\/"), &rx("/api/")) && sub(&rx("/api/"), &rx(r"\/api\/")));
        assert!(sub(&rx(r"\.(?i:JPG)$"), &rxi(r"\.jpg$")));
        assert!(sub(&rx(r"\bfoo\b"), &rx("foo")) && !sub(&rx("foo"), &rx(r"\bfoo\b")));
        assert!(sub(&rx(r"\<a"), &rx("<a")) && sub(&rx(r"[\<]a"), &rx("<a")));
        assert!(sub(&rx(r"(?#note)x{2}\Z"), &rx("xx$")) && sub(&rx("a{x}"), &rx(r"a\{x\}")));
    }

    #[test]
    fn anchors_are_text_anchors() {
        assert!(!contains(&rx("^/a"), b"/x/a").unwrap() && contains(&rx("^/a"), b"/a/x").unwrap());
        assert!(!contains(&rx(r"\.php$"), b"/a.php/x").unwrap());
        assert!(!sub(&rx("/a"), &rx("^/a")) && sub(&rx("^/a"), &rx("/a")));
        assert!(
            sub(&rx("^/a"), &Lang::Prefix(b"/a".to_vec()))
                && sub(&Lang::Prefix(b"/a".to_vec()), &rx("^/a"))
        );
        assert!(
            sub(&rx("^/a$"), &Lang::Exact(b"/a".to_vec()))
                && sub(&Lang::Exact(b"/a".to_vec()), &rx("^/a$"))
        );
        assert!(
            sub(&rx(r"\.php$"), &rx(r"\.php(?m:$)"))
                && is_empty(&rx("a^b"), &Budget::default()).unwrap()
        );
    }

    #[test]
    fn prefixes_and_combinators() {
        let p = |s: &str| Lang::Prefix(s.as_bytes().to_vec());
        assert!(
            sub(&Lang::Exact(b"/a".to_vec()), &p("/a"))
                && !sub(&p("/a"), &Lang::Exact(b"/a".to_vec()))
        );
        assert!(
            !sub(&p("/A"), &p("/a")) && sub(&p("/a"), &rxi("^/A")) && !sub(&rxi("^/A"), &p("/a"))
        );
        let d = Lang::Diff(Box::new(p("/")), Box::new(Lang::Union(vec![p("/a")])));
        assert!(contains(&d, b"/b").unwrap() && !contains(&d, b"/ab").unwrap());
        assert!(
            sub(&d, &p("/"))
                && !sub(&d, &p("/b"))
                && sub(&Lang::Inter(vec![d.clone(), p("/a")]), &Lang::Empty)
        );
        assert!(
            sub(&Lang::All, &Lang::Union(vec![p(""), Lang::Empty]))
                && sub(&Lang::Union(vec![]), &Lang::Empty)
        );
        let u = Lang::Union(vec![p("/a"), p("/b"), rx("^/c")]);
        assert_eq!(
            difference_witness(&p("/"), &u, &Budget::default()),
            Ok(Some(b"/".to_vec()))
        );
        assert!(sub(&Lang::Inter(vec![p("/"), rx("^/[abc]")]), &u) && !sub(&rx("^/[abcd]"), &u));
        assert_eq!(
            difference_witness(&Lang::All, &p("/"), &Budget::default()),
            Ok(Some(vec![]))
        );
    }

    #[test]
    fn unsupported_syntax() {
        for p in [
            r"MSIE [1-6]\.(?!.*SV1)",
            "(",
            r"(a)\1",
            r"a++",
            r"(?>a)",
            r"\Qa\E",
            r"(?<=a)b",
            r"(?x) a",
            "(?R)",
            r"a{,2}",
            "a**",
            r"[a--b]",
            "(*UTF8)a",
            r"\p{L}",
            "\\",
        ] {
            assert!(is_syntax_err(p), "{p}");
            assert!(
                contains(&rx(p), b"/x").is_err()
                    && is_subset(&rx(p), &Lang::All, &Budget::default()).is_err()
            );
        }
        for p in [
            r"\/api\/",
            r"[a&&b]",
            r"x{",
            r"}",
            r"é",
            r"[é]",
            r"\e\cA\0\012\h\v\R\N",
            r"(?<n>a)(?P<m>b)",
            r"[[:alpha:]\]\[]",
        ] {
            assert_eq!(check_regex(p, true), Ok(()), "{p}");
        }
        assert!(contains(&rx("[a&&b]"), b"&").unwrap() && contains(&rx("[é]"), b"\xA9").unwrap());
        assert!(contains(&rx("/a"), b"\xff/a").unwrap() && contains(&rx(r"\h"), b"\xA0").unwrap());
        let tiny = Budget {
            max_dfa_states: 50,
            max_product_states: 50,
        };
        assert_eq!(is_empty(&rx("a.{12}b"), &tiny), Err(Unsupported::TooLarge));
        assert_eq!(
            check_regex("(((a{100}){100}){100})", false),
            Err(Unsupported::TooLarge)
        );
    }

    #[test]
    fn thirty_regexes_in_one_union() {
        let pats: Vec<Lang> = (0..30)
            .map(|i| match i % 3 {
                0 => rx(&format!(r"^/app{i}/.*\.(php|cgi)$")),
                1 => rxi(&format!(r"/v{i}/[a-z]+/\d+")),
                _ => rx(&format!(r"\.ext{i}$")),
            })
            .collect();
        let t = std::time::Instant::now();
        let u = Lang::Union(pats.clone());
        for p in &pats {
            assert!(sub(p, &u));
        }
        assert!(!sub(&rx(r"\.php$"), &u) && sub(&rx(r"^/app3/x\.php$"), &u));
        let inter = Lang::Inter(pats[..6].to_vec());
        assert!(is_empty(&Lang::Inter(vec![inter, rx("^/b")]), &Budget::default()).unwrap());
        assert!(t.elapsed().as_secs() < 20, "{:?}", t.elapsed());
    }

    /// Random patterns: nothing panics, and the DFA answers agree with the regex engine on witnesses and samples.
    #[test]
    fn fuzz() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut rnd = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let atoms = [
            "a", "b", "/", ".", r"\.", "^", "$", "*", "+", "?", "(", ")", "|", "[ab]", "[^a]",
            "{2}", "{", r"\", "(?i)", "(?=", "é", r"\b", "[", "]", "-", "&&", "{1,}",
        ];
        let budget = Budget {
            max_dfa_states: 2000,
            max_product_states: 20_000,
        };
        let mut ok = Vec::new();
        for _ in 0..600 {
            let p: String = (0..1 + rnd(8)).map(|_| atoms[rnd(atoms.len())]).collect();
            let ci = rnd(2) == 0;
            let r = check_regex(&p, ci);
            assert_eq!(
                r.is_ok(),
                contains(
                    &Lang::Regex {
                        pattern: p.clone(),
                        case_insensitive: ci
                    },
                    b"/a"
                )
                .is_ok(),
                "{p}"
            );
            if r.is_ok() {
                ok.push(Lang::Regex {
                    pattern: p,
                    case_insensitive: ci,
                });
            }
        }
        assert!(ok.len() > 100);
        let samples: Vec<Vec<u8>> = (0..200)
            .map(|_| (0..rnd(7)).map(|_| b"ab/.A\xe9"[rnd(6)]).collect())
            .collect();
        for _ in 0..300 {
            let (a, b) = (&ok[rnd(ok.len())], &ok[rnd(ok.len())]);
            let lang = if rnd(3) == 0 {
                Lang::Union(vec![b.clone(), ok[rnd(ok.len())].clone()])
            } else {
                b.clone()
            };
            match difference_witness(a, &lang, &budget) {
                Ok(Some(w)) => assert!(
                    contains(a, &w).unwrap() && !contains(&lang, &w).unwrap(),
                    "{a:?} {lang:?} {w:?}"
                ),
                Ok(None) => {
                    for s in &samples {
                        assert!(
                            !contains(a, s).unwrap() || contains(&lang, s).unwrap(),
                            "{a:?} {lang:?} {s:?}"
                        );
                    }
                }
                Err(e) => assert_eq!(e, Unsupported::TooLarge),
            }
        }
    }
}
