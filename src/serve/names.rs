//! Virtual host selection by name, in nginx's order: an exact name, then the longest wildcard
//! starting with `*` (or `.example.com`, which covers the name itself too), then the longest
//! ending with `*`, then the first regex in the order written (its captures become the
//! request's `$1`… and its named groups variables). The same index picks a TLS address's
//! certificate by SNI.

use std::collections::HashMap;

use super::pcre::Pcre;
use crate::ir::{NameKind, ServerName};

/// The server names of one address, each leading to the index of its server.
#[derive(Debug, Default)]
pub struct NameIndex {
    exact: HashMap<String, usize>,
    /// `.example.com` for `*.example.com` and `.example.com`, longest first; whether the bare
    /// name matches too.
    head: Vec<(String, bool, usize)>,
    /// `www.example.` for `www.example.*`, longest first.
    tail: Vec<(String, usize)>,
    regex: Vec<(Pcre, Named, usize)>,
}

/// The `set` slots a regex's named groups write: (group, slot).
pub type Named = Vec<(usize, u32)>;

/// The server a name found, and what a regex name captured.
pub struct Found {
    pub server: usize,
    pub captured: Option<Captured>,
}

/// A regex name's groups (`$0` first) and the slots of its named ones.
pub struct Captured {
    pub groups: Vec<String>,
    pub named: Named,
}

impl NameIndex {
    /// Adds the names of server `server` (the first server to write a name keeps it, as in
    /// nginx, which warns about the conflict); a regex that does not compile was refused
    /// where the server was planned.
    pub fn add(&mut self, names: &[ServerName], server: usize) {
        for n in names {
            let lower = n.name.to_ascii_lowercase();
            match n.kind {
                NameKind::Exact => {
                    self.exact.entry(lower).or_insert(server);
                }
                NameKind::LeadingWildcard => {
                    let bare = lower.starts_with('.');
                    let suffix = lower.trim_start_matches('*').to_string();
                    self.head.push((suffix, bare, server));
                }
                NameKind::TrailingWildcard => {
                    let prefix = lower.trim_end_matches('*').to_string();
                    self.tail.push((prefix, server));
                }
                NameKind::Regex => {
                    if let Ok(re) = Pcre::new(&n.name[1..], true) {
                        let named = super::uservars::named_slots(&re);
                        self.regex.push((re, named, server));
                    }
                }
            }
        }
    }

    /// Sorts the wildcards, longest first (call once all servers are added).
    pub fn seal(&mut self) {
        self.head
            .sort_by_key(|(s, _, _)| std::cmp::Reverse(s.len()));
        self.tail.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
    }

    /// Whether some name is a regex (whose captures a request may need).
    pub fn has_regex(&self) -> bool {
        !self.regex.is_empty()
    }

    /// The server for `name` (lower case, without port and trailing dot; empty when the
    /// request named none).
    pub fn find(&self, name: &str) -> Option<Found> {
        let plain = |server| Found {
            server,
            captured: None,
        };
        if let Some(&i) = self.exact.get(name) {
            return Some(plain(i));
        }
        if name.is_empty() {
            return None;
        }
        let head = self.head.iter().find(|(suffix, bare, _)| {
            name.ends_with(suffix.as_str()) || *bare && name == &suffix[1..]
        });
        if let Some(&(_, _, i)) = head {
            return Some(plain(i));
        }
        if let Some(&(_, i)) = self.tail.iter().find(|(p, _)| name.starts_with(p.as_str())) {
            return Some(plain(i));
        }
        self.regex.iter().find_map(|(re, named, i)| {
            let groups = re.captures(name)?;
            Some(Found {
                server: *i,
                captured: Some(Captured {
                    groups,
                    named: named.clone(),
                }),
            })
        })
    }
}
