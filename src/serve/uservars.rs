//! nginx's user variables: `set` (a per-request slot the rewrite module writes, as do the
//! named groups `(?<name>…)` of location, `if` and `rewrite` regexes), `map`, `geo` and
//! `split_clients` (http level, computed from another value wherever they are read). [`collect`] finds
//! them in the IR once per plan; while the plan is built, [`install`] makes them known to the
//! value compiler ([`super::headers::template`]), which turns `$name` into a slot or a table.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use super::pcre::Pcre;

use super::headers::{template, Extra, Template, Vars};
use super::support::Findings;
use super::tables::{self, GeoTable, MapTable, SplitTable, Why};
use crate::ir::{Ir, MatchKind, NameKind, Opaque, Protocol, Route, Settings};

/// What a user variable's name stands for.
#[derive(Debug, Clone)]
pub enum Var {
    /// A `set` variable: its slot in the request's values.
    Set(u32),
    Map(Arc<Map>),
    Geo(Arc<Geo>),
    Split(Arc<Split>),
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

/// `map SOURCE $NAME { … }` ([`MapTable`]), computed wherever it is read.
#[derive(Debug)]
pub struct Map {
    source: Template,
    table: MapTable<Template>,
}

impl Map {
    pub fn render(&self, v: &Vars, x: &Extra, out: &mut String) {
        let source = self.source.render_ext(v, x);
        match self.table.find(&source) {
            (t, None) => t.render_into(v, x, out),
            (t, Some(groups)) => {
                let x = Extra {
                    captures: &groups,
                    ..*x
                };
                t.render_into(v, &x, out);
            }
        }
    }

    /// Every value the map may read: its source, its values and its default.
    pub fn templates(&self) -> impl Iterator<Item = &Template> {
        std::iter::once(&self.source).chain(self.table.values())
    }
}

/// `geo [SOURCE] $NAME { … }` ([`GeoTable`]) of the client's address or SOURCE's.
#[derive(Debug)]
pub struct Geo {
    source: Option<Template>,
    table: GeoTable,
}

impl Geo {
    pub fn render(&self, v: &Vars, x: &Extra, out: &mut String) {
        out.push_str(match &self.source {
            None => self.table.find(v.remote_addr),
            Some(t) => self.table.find_text(&t.render_ext(v, x)),
        });
    }

    pub fn source(&self) -> Option<&Template> {
        self.source.as_ref()
    }
}

/// `split_clients SOURCE $NAME { … }` ([`SplitTable`]).
#[derive(Debug)]
pub struct Split {
    source: Template,
    table: SplitTable,
}

impl Split {
    pub fn render(&self, v: &Vars, x: &Extra, out: &mut String) {
        out.push_str(self.table.find(self.source.render_ext(v, x).as_bytes()));
    }

    pub fn source(&self) -> &Template {
        &self.source
    }
}

/// The user variables of the IR's http level (`map`, `geo`) and every `set` anywhere;
/// what cannot run is refused. Installed while it is built, as maps may read one another.
pub fn collect(ir: &Ir, f: &mut Findings) -> Installed {
    let mut sets = Vec::new();
    let mut blocks = Vec::new();
    for d in ir.defaults.iter().filter(|d| d.protocol == Protocol::Http) {
        walk(&d.settings, &mut sets);
        blocks.extend(d.settings.opaque.iter().filter(|o| tables::is_table(o)));
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
    // A map may read maps written after it.
    tables::in_order(
        blocks,
        |o| {
            let (name, var) = compile(o)?;
            if let Some(Var::Set(_)) = lookup(&name) {
                return Err(Why::Refused(
                    o.origin,
                    format!("`set` of the `{}` variable `${name}`", o.name),
                ));
            }
            NAMES.with(|n| n.borrow_mut().0.insert(name, var));
            Ok(())
        },
        f,
    );
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

fn compile(o: &Opaque) -> Result<(String, Var), Why> {
    let (source, name) = tables::header(o)?;
    let source = source
        .map(|s| template(s).map_err(Why::Unknown))
        .transpose()?;
    let var = match o.name.as_str() {
        "map" => Var::Map(Arc::new(Map {
            source: source.unwrap_or_default(),
            table: tables::map_table(&o.children, |v, _| template(v).map_err(Why::Unknown))?,
        })),
        "split_clients" => Var::Split(Arc::new(Split {
            source: source.unwrap_or_default(),
            table: tables::split_table(&o.children)?,
        })),
        _ => Var::Geo(Arc::new(Geo {
            source,
            table: tables::geo_table(&o.children)?,
        })),
    };
    Ok((name.to_string(), var))
}
