//! nginx's user variables: `set` (a per-request slot the rewrite module writes, as do the
//! named groups `(?<name>…)` of location, `if` and `rewrite` regexes), `map` and
//! `geo` (http level, computed from another value wherever they are read). [`collect`] finds
//! them in the IR once per plan; while the plan is built, [`install`] makes them known to the
//! value compiler ([`super::headers::template`]), which turns `$name` into a slot or a table.

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use super::pcre::Pcre;

use super::headers::{template, Extra, Template, Vars};
use super::support::Findings;
use crate::ir::{Ir, MatchKind, NameKind, Opaque, Origin, Protocol, Route, Settings};

/// What a user variable's name stands for.
#[derive(Debug, Clone)]
pub enum Var {
    /// A `set` variable: its slot in the request's values.
    Set(u32),
    Map(Arc<Map>),
    Geo(Arc<Geo>),
}

/// The user variables of one plan.
#[derive(Debug, Default)]
pub struct Names(HashMap<String, Var>);

thread_local! {
    static NAMES: RefCell<Names> = RefCell::default();
}

/// The names in force while a plan is built (dropping it forgets them).
pub struct Installed(());

impl Drop for Installed {
    fn drop(&mut self) {
        NAMES.with(|n| n.borrow_mut().0.clear());
    }
}

/// Makes `names` known to the value compiler until the result is dropped.
pub fn install(names: Names) -> Installed {
    NAMES.with(|n| *n.borrow_mut() = names);
    Installed(())
}

/// The user variable called `name` (without `$`), if the plan being built has one.
pub fn lookup(name: &str) -> Option<Var> {
    NAMES.with(|n| n.borrow().0.get(name).cloned())
}

/// `map SOURCE $NAME { … }`: exact keys (case-insensitive), with `hostnames` also
/// `*.suffix`/`.suffix` and `prefix.*` wildcards, then `~`/`~*` regexes in order (their
/// captures usable in the value), else `default` (empty when absent).
#[derive(Debug)]
pub struct Map {
    source: Template,
    hostnames: bool,
    exact: HashMap<String, Template>,
    /// `*.example.com` and `.example.com` as `.example.com`, longest first; whether the
    /// name itself matches too (`.example.com`: yes).
    head: Vec<(String, bool, Template)>,
    /// `www.example.*` as `www.example.`, longest first.
    tail: Vec<(String, Template)>,
    regexes: Vec<(Pcre, Template)>,
    default: Template,
}

impl Map {
    pub fn render(&self, v: &Vars, x: &Extra, out: &mut String) {
        let source = self.source.render_ext(v, x);
        let mut key = source.as_str();
        if self.hostnames {
            key = key.strip_suffix('.').unwrap_or(key);
        }
        if let Some(t) = self.exact.get(&key.to_ascii_lowercase()) {
            return t.render_into(v, x, out);
        }
        if self.hostnames && !key.is_empty() {
            let lower = key.to_ascii_lowercase();
            let head = self.head.iter().find(|(suffix, bare, _)| {
                lower.ends_with(suffix.as_str()) || (*bare && lower == suffix[1..])
            });
            let found = head.map(|(_, _, t)| t).or_else(|| {
                self.tail
                    .iter()
                    .find(|(prefix, _)| lower.starts_with(prefix.as_str()))
                    .map(|(_, t)| t)
            });
            if let Some(t) = found {
                return t.render_into(v, x, out);
            }
        }
        if !key.is_empty() {
            for (re, t) in &self.regexes {
                if let Some(groups) = re.captures(key) {
                    let x = Extra {
                        captures: &groups,
                        ..*x
                    };
                    return t.render_into(v, &x, out);
                }
            }
        }
        self.default.render_into(v, x, out)
    }

    /// Every value the map may read: its source, its values and its default.
    pub fn templates(&self) -> impl Iterator<Item = &Template> {
        std::iter::once(&self.source)
            .chain(std::iter::once(&self.default))
            .chain(self.exact.values())
            .chain(self.head.iter().map(|(_, _, t)| t))
            .chain(self.tail.iter().map(|(_, t)| t))
            .chain(self.regexes.iter().map(|(_, t)| t))
    }
}

/// `geo [SOURCE] $NAME { … }`: the value of the most specific network holding the client's
/// address (or SOURCE's, 255.255.255.255 when it is not one), or with `ranges` of the
/// range holding it (ranges never overlap); else `default` (empty when absent).
#[derive(Debug)]
pub struct Geo {
    source: Option<Template>,
    /// Networks, most specific first.
    nets: Vec<(IpAddr, u8, String)>,
    ranges: Vec<(u32, u32, String)>,
    default: String,
}

impl Geo {
    pub fn render(&self, v: &Vars, x: &Extra, out: &mut String) {
        let addr = match &self.source {
            None => v.remote_addr,
            Some(t) => t
                .render_ext(v, x)
                .trim()
                .parse()
                .unwrap_or(IpAddr::V4(Ipv4Addr::BROADCAST)),
        };
        let addr = match addr {
            IpAddr::V6(a) => a.to_ipv4_mapped().map_or(addr, IpAddr::V4),
            a => a,
        };
        let value = if self.ranges.is_empty() {
            self.nets
                .iter()
                .find(|(net, len, _)| super::access::contains(*net, *len, addr))
                .map(|(_, _, v)| v)
        } else {
            let IpAddr::V4(a) = addr else {
                out.push_str(&self.default);
                return;
            };
            let a = u32::from(a);
            self.ranges
                .iter()
                .find(|(lo, hi, _)| (*lo..=*hi).contains(&a))
                .map(|(_, _, v)| v)
        };
        out.push_str(value.unwrap_or(&self.default));
    }

    pub fn source(&self) -> Option<&Template> {
        self.source.as_ref()
    }
}

/// The user variables of the IR's http level (`map`, `geo`) and every `set` anywhere;
/// what cannot run is refused. Installed while it is built, as maps may read one another.
pub fn collect(ir: &Ir, f: &mut Findings) -> Installed {
    let mut sets = Vec::new();
    let mut blocks = Vec::new();
    for d in ir.defaults.iter().filter(|d| d.protocol == Protocol::Http) {
        walk(&d.settings, &mut sets);
        blocks.extend(
            d.settings
                .opaque
                .iter()
                .filter(|o| o.block && (o.name == "map" || o.name == "geo")),
        );
    }
    for s in ir.services.iter().filter(|s| s.protocol == Protocol::Http) {
        walk(&s.settings, &mut sets);
        walk_routes(&s.routes, &mut sets);
        for n in s.server_names.iter().filter(|n| n.kind == NameKind::Regex) {
            sets.extend(group_names(&n.name[1..]));
        }
    }
    let mut names = Names::default();
    for name in sets {
        let next = names.0.len() as u32;
        names.0.entry(name).or_insert(Var::Set(next));
    }
    let installed = install(names);
    // A map may read maps written after it: compile until no more can be.
    let mut pending: Vec<&Opaque> = blocks;
    loop {
        let mut left = Vec::new();
        let mut unknown = Vec::new();
        for o in &pending {
            match compile(o) {
                Ok((name, var)) => {
                    if let Some(Var::Set(_)) = lookup(&name) {
                        f.refuse(
                            o.origin,
                            format!("`set` of the `{}` variable `${name}`", o.name),
                        );
                        continue;
                    }
                    NAMES.with(|n| n.borrow_mut().0.insert(name, var));
                }
                Err(Why::Unknown(var)) => {
                    left.push(*o);
                    unknown.push(var);
                }
                Err(Why::Refused(at, what)) => f.refuse(at, what),
            }
        }
        if left.is_empty() {
            break;
        }
        if left.len() == pending.len() {
            for (o, var) in left.iter().zip(unknown) {
                f.refuse(o.origin, format!("the variable `${var}` in `{}`", o.name));
            }
            break;
        }
        pending = left;
    }
    installed
}

/// The variables a level writes: `set` names, and the named groups (`(?<name>…)`) of its
/// `if` and `rewrite` regexes.
fn walk(s: &Settings, sets: &mut Vec<String>) {
    fn opaque(o: &Opaque, sets: &mut Vec<String>) {
        match o.name.as_str() {
            "set" | "auth_request_set" => {
                if let Some(name) = o.args.first().and_then(|a| a.strip_prefix('$')) {
                    sets.push(name.to_string());
                }
            }
            "if" | "rewrite" => {
                for a in o.args.iter().filter(|a| a.contains("(?")) {
                    sets.extend(group_names(a.trim_end_matches(')')));
                }
            }
            _ => {}
        }
        o.children.iter().for_each(|c| opaque(c, sets));
    }
    s.opaque.iter().for_each(|o| opaque(o, sets));
}

/// What [`walk`] finds in locations, and their regexes' named groups.
fn walk_routes(routes: &[Route], sets: &mut Vec<String>) {
    for r in routes {
        if matches!(r.matcher.kind, MatchKind::Regex | MatchKind::RegexCaseless) {
            sets.extend(group_names(&r.matcher.pattern));
        }
        walk(&r.settings, sets);
        walk_routes(&r.routes, sets);
    }
}

/// The named groups of `pattern` (none when it is not a regex).
fn group_names(pattern: &str) -> Vec<String> {
    Pcre::new(pattern, false).map_or_else(
        |_| Vec::new(),
        |re| re.capture_names().into_iter().flatten().collect(),
    )
}

/// Which `set` slot each named group of `re` writes, as nginx makes `(?<name>…)` a variable.
pub fn named_slots(re: &Pcre) -> Vec<(usize, u32)> {
    re.capture_names()
        .into_iter()
        .enumerate()
        .filter_map(|(i, name)| match lookup(&name?) {
            Some(Var::Set(slot)) => Some((i, slot)),
            _ => None,
        })
        .collect()
}

/// Writes the named groups of a match to their slots.
pub fn assign_named(set: &mut Vec<String>, named: &[(usize, u32)], groups: &[String]) {
    for &(group, slot) in named {
        let value = groups.get(group).cloned().unwrap_or_default();
        assign(set, slot, value);
    }
}

/// Writes `value` to `set` slot `slot`.
pub fn assign(set: &mut Vec<String>, slot: u32, value: String) {
    let slot = slot as usize;
    if set.len() <= slot {
        set.resize(slot + 1, String::new());
    }
    set[slot] = value;
}

enum Why {
    /// A variable not (yet) known.
    Unknown(String),
    /// Refused, and where.
    Refused(Origin, String),
}

fn compile(o: &Opaque) -> Result<(String, Var), Why> {
    let (source, name) = match (o.name.as_str(), o.args.as_slice()) {
        ("map", [source, name]) => (Some(source), name),
        ("geo", [name]) => (None, name),
        ("geo", [source, name]) => (Some(source), name),
        _ => return Err(Why::Refused(o.origin, format!("this `{}` block", o.name))),
    };
    let Some(name) = name.strip_prefix('$') else {
        return Err(Why::Refused(
            o.origin,
            format!("the variable name `{name}`"),
        ));
    };
    let source = source
        .map(|s| template(s).map_err(Why::Unknown))
        .transpose()?;
    let var = if o.name == "map" {
        Var::Map(Arc::new(map(source.unwrap_or_default(), &o.children)?))
    } else {
        Var::Geo(Arc::new(geo(source, &o.children)?))
    };
    Ok((name.to_string(), var))
}

fn map(source: Template, entries: &[Opaque]) -> Result<Map, Why> {
    let mut m = Map {
        source,
        hostnames: entries
            .iter()
            .any(|e| e.name == "hostnames" && e.args.is_empty()),
        exact: HashMap::new(),
        head: Vec::new(),
        tail: Vec::new(),
        regexes: Vec::new(),
        default: Template::default(),
    };
    for e in entries {
        let key = e.name.as_str();
        let value = match (key, e.args.as_slice()) {
            ("hostnames", []) => continue,
            ("volatile", []) => continue,
            ("include", _) => return Err(Why::Refused(e.origin, "`include` in `map`".into())),
            (_, [value]) => value,
            _ => return Err(Why::Refused(e.origin, format!("the `map` entry `{key}`"))),
        };
        let value = template(value).map_err(Why::Unknown)?;
        if key == "default" {
            m.default = value;
        } else if let Some(pattern) = key.strip_prefix('~') {
            let (pattern, caseless) = match pattern.strip_prefix('*') {
                Some(p) => (p, true),
                None => (pattern, false),
            };
            let re = Pcre::new(pattern, caseless).map_err(|err| {
                Why::Refused(e.origin, format!("the `map` regex `{pattern}` ({err})"))
            })?;
            m.regexes.push((re, value));
        } else {
            let key = key.strip_prefix('\\').unwrap_or(key).to_ascii_lowercase();
            if m.hostnames && (key.starts_with("*.") || key.starts_with('.')) {
                let bare = key.starts_with('.');
                m.head
                    .push((key.trim_start_matches('*').to_string(), bare, value));
            } else if m.hostnames && key.ends_with(".*") {
                m.tail.push((key[..key.len() - 1].to_string(), value));
            } else {
                // nginx keeps the first of two equal keys ("conflicting parameter" is an error).
                m.exact.entry(key).or_insert(value);
            }
        }
    }
    m.head.sort_by_key(|(s, _, _)| std::cmp::Reverse(s.len()));
    m.tail.sort_by_key(|(s, _)| std::cmp::Reverse(s.len()));
    Ok(m)
}

fn geo(source: Option<Template>, entries: &[Opaque]) -> Result<Geo, Why> {
    let mut g = Geo {
        source,
        nets: Vec::new(),
        ranges: Vec::new(),
        default: String::new(),
    };
    let ranges = entries
        .iter()
        .any(|e| e.name == "ranges" && e.args.is_empty());
    for e in entries {
        let key = e.name.as_str();
        let value = match (key, e.args.as_slice()) {
            ("ranges", []) => continue,
            ("default", [v]) => {
                g.default = v.clone();
                continue;
            }
            ("include" | "proxy" | "proxy_recursive" | "delete", _) => {
                return Err(Why::Refused(e.origin, format!("`{key}` in `geo`")))
            }
            (_, [value]) => value.clone(),
            _ => return Err(Why::Refused(e.origin, format!("the `geo` entry `{key}`"))),
        };
        let bad = || Why::Refused(e.origin, format!("the `geo` entry `{key}`"));
        if ranges {
            let (lo, hi) = key.split_once('-').ok_or_else(bad)?;
            let lo: Ipv4Addr = lo.parse().map_err(|_| bad())?;
            let hi: Ipv4Addr = hi.parse().map_err(|_| bad())?;
            let (lo, hi) = (u32::from(lo), u32::from(hi));
            // nginx refuses overlapping ranges.
            if lo > hi || g.ranges.iter().any(|(l, h, _)| lo <= *h && *l <= hi) {
                return Err(Why::Refused(
                    e.origin,
                    format!("the overlapping `geo` range `{key}`"),
                ));
            }
            g.ranges.push((lo, hi, value));
        } else {
            let (addr, len) = super::access::net(key).ok_or_else(bad)?;
            g.nets.push((addr, len, value));
        }
    }
    // The most specific network first; of two equal ones the last written (nginx warns
    // about the duplicate and keeps the new value).
    g.nets.reverse();
    g.nets.sort_by_key(|(_, len, _)| std::cmp::Reverse(*len));
    Ok(g)
}
