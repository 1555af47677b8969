//! Evaluating a script: walks the statements in order with the variables set so far, takes the
//! `start` branch of a `case` on the script's argument, follows calls of the script's functions,
//! and turns `ipvsadm`, `ifconfig`/`ip`/`route` and `sysctl` (or `echo > /proc/sys/…`) calls
//! into IPVS table changes, addresses, routes and kernel settings. Everything else is kept as
//! opaque; an ipvsadm call lbc cannot evaluate (a loop, an `if`, an unknown variable) is
//! reported, since the state lbc derives may then be incomplete.

use std::collections::{HashMap, HashSet};

use super::cst::*;
use super::expand::{expand, glob_match, Var};
use super::ipvsadm::{self, Dialect, Field};
use super::net::{self, Effect};
use super::state::Table;
use super::Call;
use crate::diagnostic::{Diagnostic, Severity};
use crate::ir::{InterfaceAddress, Opaque, Origin, StaticRoute, Sysctl};
use crate::source::{FileId, Span};

/// Everything a script evaluates to.
pub struct Evaluated {
    pub table: Table,
    pub calls: Vec<Call>,
    pub diagnostics: Vec<Diagnostic>,
    pub opaque: Vec<Opaque>,
    pub addresses: Vec<InterfaceAddress>,
    pub routes: Vec<StaticRoute>,
    pub sysctls: Vec<Sysctl>,
}

struct Eval<'a> {
    src: &'a str,
    file: FileId,
    dialect: Dialect,
    vars: HashMap<String, Var>,
    /// Positional parameters of the function being run (`None` at the top: the script's own
    /// arguments are unknown).
    args: Vec<Option<Vec<String>>>,
    functions: HashMap<String, &'a Function>,
    called: HashSet<String>,
    exited: bool,
    out: Evaluated,
}

/// Evaluates a parsed script.
pub fn evaluate(src: &str, file: FileId, script: &Script, dialect: Dialect) -> Evaluated {
    let mut e = Eval {
        src,
        file,
        dialect,
        vars: HashMap::new(),
        args: vec![None],
        functions: HashMap::new(),
        called: HashSet::new(),
        exited: false,
        out: Evaluated {
            table: Table::new(file),
            calls: Vec::new(),
            diagnostics: Vec::new(),
            opaque: Vec::new(),
            addresses: Vec::new(),
            routes: Vec::new(),
            sysctls: Vec::new(),
        },
    };
    e.stmts(&script.stmts);
    let mut uncalled: Vec<_> = e
        .functions
        .iter()
        .filter(|(n, _)| !e.called.contains(*n))
        .map(|(n, f)| (n.clone(), *f))
        .collect();
    uncalled.sort_by_key(|(_, f)| f.range.start);
    for (name, f) in uncalled {
        e.scan(
            &f.body,
            &format!("in function `{name}`, which lbc does not see called"),
        );
    }
    e.out
}

fn is_assignment(raw: &str) -> Option<(&str, &str)> {
    let (name, value) = raw.split_once('=')?;
    (!name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
    .then_some((name, value))
}

fn basename(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

impl<'a> Eval<'a> {
    fn origin(&self, r: TextRange) -> Origin {
        Origin {
            file: self.file.0,
            start: r.start,
            end: r.end,
        }
    }

    fn span(&self, r: TextRange) -> Span {
        Span::new(self.file, r.start, r.end)
    }

    fn lookup(&self) -> impl Fn(&str) -> Option<Var> + '_ {
        move |name: &str| {
            if let Ok(n) = name.parse::<usize>() {
                if n == 0 {
                    return Some(Var::Unknown("`$0`, the script's path".into()));
                }
                return self
                    .args
                    .last()
                    .cloned()
                    .flatten()
                    .map(|args| Var::Known(args.get(n - 1).cloned().unwrap_or_default()));
            }
            self.vars.get(name).cloned()
        }
    }

    fn expand_word(&self, w: &Word) -> Result<Vec<String>, String> {
        expand(w.raw(self.src), &self.lookup())
    }

    fn opaque(&mut self, name: &str, args: Vec<String>, r: TextRange, context: Option<&str>) {
        self.out.opaque.push(Opaque {
            name: name.to_string(),
            args,
            context: context.map(Into::into),
            origin: self.origin(r),
            ..Opaque::default()
        });
    }

    fn stmts(&mut self, v: &'a [Stmt]) {
        for s in v {
            if self.exited {
                for p in s.pipelines() {
                    for c in &p.commands {
                        self.skip(c, "after `exit`");
                    }
                }
                continue;
            }
            self.pipeline(&s.first);
            for (op, p) in &s.rest {
                match op {
                    ListOp::And => self.pipeline(p),
                    ListOp::Or => {
                        for c in &p.commands {
                            self.skip(c, "after `||`, run only if the command before fails");
                        }
                    }
                }
            }
        }
    }

    fn pipeline(&mut self, p: &'a Pipeline) {
        if let [Command::Simple(feed), Command::Simple(restore)] = p.commands.as_slice() {
            if self.restore_from_echo(feed, restore) {
                return;
            }
        }
        for c in &p.commands {
            self.command(c);
        }
    }

    fn command(&mut self, c: &'a Command) {
        match c {
            Command::Simple(s) => self.simple(s),
            Command::Case(k) => self.case(k),
            Command::If(i) => {
                self.opaque("if", Vec::new(), i.range, None);
                self.scan(c, "inside an `if`");
            }
            Command::Loop(l) => {
                self.opaque(l.kind.keyword(), Vec::new(), l.range, None);
                self.scan(c, &format!("inside a `{}` loop", l.kind.keyword()));
            }
            Command::Group(g) => self.stmts(&g.body),
            Command::Function(f) => {
                let name = f.name.raw(self.src).to_string();
                self.opaque("function", vec![name.clone()], f.range, None);
                self.functions.insert(name, f);
            }
            Command::Error(_) => {}
        }
    }

    /// Keeps `c` unevaluated and reports the ipvsadm calls in it that could change the table.
    fn skip(&mut self, c: &Command, why: &str) {
        if let Command::Simple(s) = c {
            self.opaque_simple(s, Some(why));
        } else {
            self.opaque(kind_name(c), Vec::new(), c.range(), Some(why));
        }
        self.scan(c, why);
    }

    fn scan(&mut self, c: &Command, why: &str) {
        let mut simples = Vec::new();
        c.simple_commands(&mut simples);
        for s in simples {
            if self.could_change_ipvs(s) {
                self.not_evaluated(s.range, why);
            }
        }
    }

    fn not_evaluated(&mut self, r: TextRange, why: &str) {
        self.out.diagnostics.push(
            Diagnostic::new(
                "lvs/syntax",
                Severity::Warning,
                format!("ipvsadm call not evaluated ({why}): the IPVS state lbc reports may be incomplete"),
                self.span(r),
            )
            .label("lbc cannot tell whether or how this runs")
            .help("lbc evaluates straight-line scripts: plain calls, variables set to literals, the `start` branch of `case \"$1\"`, and functions it sees called"),
        );
    }

    /// Whether a command looks like an ipvsadm call that changes the table.
    fn could_change_ipvs(&self, s: &Simple) -> bool {
        let raws: Vec<&str> = s.words.iter().map(|w| w.raw(self.src)).collect();
        let Some(first) = raws.iter().position(|r| is_assignment(r).is_none()) else {
            return false;
        };
        let lower: Vec<String> = raws[first..].iter().map(|r| r.to_lowercase()).collect();
        let head = &lower[0];
        if matches!(
            head.as_str(),
            "[" | "[[" | "test" | "echo" | "printf" | "which" | "type" | "grep" | "egrep"
        ) {
            return false;
        }
        let var_ipv = head.trim_start_matches(['"', '$', '{']).starts_with("ipv");
        let mentions = lower.iter().any(|w| w.contains("ipvsadm"));
        if lower.iter().any(|w| w.contains("ipvsadm-restore")) {
            return true;
        }
        if !(mentions || var_ipv) {
            return false;
        }
        let tokens = raws[first..].iter().flat_map(|w| {
            w.split([' ', '"', '\''])
                .map(str::to_string)
                .collect::<Vec<_>>()
        });
        let (mut unknown_args, mut other_command) = (false, false);
        for t in tokens {
            if let Some(long) = t.strip_prefix("--") {
                if matches!(
                    long,
                    "add-service"
                        | "edit-service"
                        | "delete-service"
                        | "clear"
                        | "restore"
                        | "add-server"
                        | "edit-server"
                        | "delete-server"
                ) {
                    return true;
                }
                other_command |=
                    matches!(long, "list" | "save" | "zero" | "help" | "version" | "set");
            } else if let Some(cluster) = t.strip_prefix('-') {
                match cluster.chars().next() {
                    Some(c) if "AEDCRaed".contains(c) => return true,
                    Some(c) if "LlSZhvPQGUVB".contains(c) => other_command = true,
                    _ => {}
                }
            } else if t.starts_with('$') {
                unknown_args = true;
            }
        }
        unknown_args && !other_command && head.contains("ipv")
    }

    fn opaque_simple(&mut self, s: &Simple, context: Option<&str>) {
        let raws: Vec<String> = s
            .words
            .iter()
            .map(|w| w.raw(self.src).to_string())
            .collect();
        let (name, args) = match raws.split_first() {
            Some((n, a)) => (n.clone(), a.to_vec()),
            None => ("redirect".to_string(), Vec::new()),
        };
        self.opaque(&name, args, s.range, context);
    }

    fn case(&mut self, k: &'a Case) {
        let Some(subject) = k.subject else { return };
        let raw = subject.raw(self.src);
        let on_script_arg = matches!(raw, "$1" | "\"$1\"" | "${1}" | "\"${1}\"")
            && self.args.last().is_some_and(Option::is_none);
        let value = match self.expand_word(&subject) {
            Ok(f) => Some(f.join(" ")),
            Err(_) if on_script_arg => Some("start".to_string()),
            Err(why) => {
                self.opaque(
                    "case",
                    vec![raw.to_string()],
                    k.range,
                    Some("on a value lbc cannot know"),
                );
                let c = Command::Case(k.clone());
                self.scan(&c, &format!("in a `case` on {why}"));
                return;
            }
        };
        let value = value.unwrap_or_default();
        let lookup = self.lookup();
        let taken = k.arms.iter().position(|a| {
            a.patterns.iter().any(|p| {
                expand(p.raw(self.src), &lookup)
                    .map(|f| glob_match(&f.join(" "), &value))
                    .unwrap_or(false)
            })
        });
        drop(lookup);
        for (i, arm) in k.arms.iter().enumerate() {
            if Some(i) == taken {
                self.stmts(&arm.body);
            } else {
                let pats = arm
                    .patterns
                    .iter()
                    .map(|p| p.raw(self.src).to_string())
                    .collect();
                let why = if on_script_arg {
                    "branch not taken: lbc evaluates the `start` branch"
                } else {
                    "branch not taken"
                };
                self.opaque("case", pats, arm.range, Some(why));
            }
        }
    }

    fn assign(&mut self, raw: &str, r: TextRange) {
        let Some((name, value)) = is_assignment(raw) else {
            return;
        };
        let var = if value.starts_with('(') {
            Var::Unknown(format!("`${name}`, an array"))
        } else {
            match expand(value, &self.lookup()) {
                Ok(f) => Var::Known(f.join(" ")),
                Err(why) => Var::Unknown(why),
            }
        };
        let _ = r;
        self.vars.insert(name.to_string(), var);
    }

    fn simple(&mut self, s: &'a Simple) {
        let raw: Vec<&str> = s.words.iter().take(3).map(|w| w.raw(self.src)).collect();
        if raw.len() == 3 && basename(raw[0]) == "ip" && raw[1] == "netns" && raw[2] == "exec" {
            return self.skip(
                &Command::Simple(s.clone()),
                "in another network namespace (`ip netns exec`)",
            );
        }
        let first = s
            .words
            .iter()
            .position(|w| is_assignment(w.raw(self.src)).is_none());
        let Some(first) = first else {
            for w in &s.words {
                self.assign(w.raw(self.src), w.range);
            }
            if s.words.is_empty() {
                self.opaque_simple(s, None);
            }
            return;
        };
        let mut fields = Vec::new();
        let mut failure = None;
        for w in &s.words[first..] {
            match self.expand_word(w) {
                Ok(fs) => fields.extend(fs.into_iter().map(|text| Field {
                    text,
                    range: w.range,
                })),
                Err(why) => {
                    failure.get_or_insert((why, w.range));
                }
            }
        }
        if let Some((why, _)) = failure {
            if self.could_change_ipvs(s) {
                self.not_evaluated(s.range, &format!("it uses {why}"));
            }
            self.opaque_simple(s, None);
            return;
        }
        self.run(s, &fields);
    }

    fn run(&mut self, s: &'a Simple, fields: &[Field]) {
        let Some(head) = fields.first() else {
            self.opaque_simple(s, None);
            return;
        };
        let name = basename(&head.text).to_string();
        let args: Vec<String> = fields[1..].iter().map(|f| f.text.clone()).collect();
        let origin = self.origin(s.range);
        match name.as_str() {
            _ if head.text.starts_with('-') => self.ipvsadm(s, fields),
            "ipvsadm" => self.ipvsadm(s, &fields[1..]),
            "ipvsadm-restore" => {
                self.not_evaluated(
                    s.range,
                    "the rules come from standard input, which lbc does not read",
                );
                self.opaque_simple(s, None);
            }
            "sudo" | "command" | "exec" | "nohup" | "time" | "builtin" if fields.len() > 1 => {
                self.run(s, &fields[1..])
            }
            "ifconfig" | "ip" | "route" | "sysctl" => {
                let effects = match name.as_str() {
                    "ifconfig" => net::ifconfig(&args, origin).into_iter().collect(),
                    "ip" => net::ip(&args, origin).into_iter().collect(),
                    "route" => net::route(&args, origin).into_iter().collect(),
                    _ => net::sysctl(&args, origin),
                };
                if effects.is_empty() {
                    self.opaque_simple(s, None);
                }
                effects.into_iter().for_each(|e| self.effect(e));
            }
            "echo" | "printf" if self.proc_sys_target(s).is_some() => {
                let key = self.proc_sys_target(s).unwrap_or_default();
                let value = args
                    .iter()
                    .filter(|a| !a.starts_with('-'))
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" ");
                self.effect(Effect::Sysctl(Sysctl { key, value, origin }));
            }
            "readonly" | "export" | "local" | "declare" | "typeset" => {
                let words: Vec<Word> = s.words.iter().skip(1).copied().collect();
                let mut any = false;
                for w in words {
                    if is_assignment(w.raw(self.src)).is_some() {
                        self.assign(w.raw(self.src), w.range);
                        any = true;
                    }
                }
                if !any {
                    self.opaque_simple(s, None);
                }
            }
            "unset" => args.iter().for_each(|a| {
                self.vars.remove(a);
            }),
            "exit" => {
                self.opaque_simple(s, None);
                self.exited = true;
            }
            n if self.functions.contains_key(n) => {
                let f = self.functions[n];
                self.called.insert(n.to_string());
                if self.args.len() > 16 || self.args.iter().filter(|a| a.is_some()).count() > 8 {
                    return;
                }
                self.args.push(Some(args));
                self.command(&f.body);
                self.args.pop();
            }
            _ => self.opaque_simple(s, None),
        }
    }

    /// The sysctl key a `> /proc/sys/…` redirection writes.
    fn proc_sys_target(&self, s: &Simple) -> Option<String> {
        let r = s.redirects.iter().rev().find(|r| {
            let op = &self.src[r.op.start as usize..r.op.end as usize];
            op == ">" || op == ">|" || op == "1>"
        })?;
        let target = self.expand_word(&r.target?).ok()?.join(" ");
        net::proc_sys_key(&target)
    }

    fn effect(&mut self, e: Effect) {
        match e {
            Effect::AddAddress(a) => self.out.addresses.push(a),
            Effect::DelAddress { device, address } => self.out.addresses.retain(|a| {
                let dev = a.label.as_ref().or(a.device.as_ref());
                !(dev == Some(&device) && address.as_ref().is_none_or(|x| *x == a.address))
            }),
            Effect::AddRoute(r) => self.out.routes.push(r),
            Effect::DelRoute(d) => self.out.routes.retain(|r| r.destination != d),
            Effect::Sysctl(s) => {
                self.out.sysctls.retain(|x| x.key != s.key);
                self.out.sysctls.push(s);
            }
        }
    }

    fn ipvsadm(&mut self, s: &Simple, args: &[Field]) {
        self.ipvsadm_args(args, s.range, !s.redirects.is_empty());
    }

    fn ipvsadm_args(&mut self, args: &[Field], call: TextRange, has_stdin: bool) {
        match ipvsadm::parse(args, self.dialect, call) {
            Err(e) => {
                let mut d =
                    Diagnostic::new("lvs/syntax", Severity::Error, e.message, self.span(e.range))
                        .label(e.label);
                if let Some(h) = e.help {
                    d = d.help(h);
                }
                self.out.diagnostics.push(d);
                self.opaque(
                    "ipvsadm",
                    args.iter().map(|f| f.text.clone()).collect(),
                    call,
                    Some("rejected by ipvsadm"),
                );
            }
            Ok(inv) => {
                let cmd = inv.command.value;
                if cmd == ipvsadm::Cmd::Restore {
                    let why = if has_stdin {
                        "the rules come from a file lbc does not read"
                    } else {
                        "the rules come from standard input, which lbc does not read"
                    };
                    self.not_evaluated(call, why);
                }
                if cmd.changes_state() {
                    let diags = self.out.table.apply(&inv, call, false);
                    self.out.diagnostics.extend(diags);
                    self.out.calls.push(Call {
                        range: call,
                        inv,
                        listing: false,
                    });
                } else {
                    self.opaque(
                        "ipvsadm",
                        args.iter().map(|f| f.text.clone()).collect(),
                        call,
                        None,
                    );
                }
            }
        }
    }

    /// `echo "RULES" | ipvsadm -R` (the man page's example): the echoed lines are the calls.
    fn restore_from_echo(&mut self, feed: &Simple, restore: &Simple) -> bool {
        let words = |s: &Simple| -> Option<Vec<String>> {
            let mut out = Vec::new();
            for w in &s.words {
                out.extend(self.expand_word(w).ok()?);
            }
            Some(out)
        };
        let (Some(f), Some(r)) = (words(feed), words(restore)) else {
            return false;
        };
        let is_restore = r.first().is_some_and(|h| basename(h) == "ipvsadm")
            && r.len() == 2
            && (r[1] == "-R" || r[1] == "--restore");
        if !is_restore || !matches!(f.first().map(|h| basename(h)), Some("echo")) {
            return false;
        }
        let text = f[1..]
            .iter()
            .filter(|a| !matches!(a.as_str(), "-e" | "-n"))
            .cloned()
            .collect::<Vec<_>>()
            .join(" ");
        let range = feed.words.get(1).map_or(feed.range, |w| w.range);
        for line in text.lines() {
            let mut fields: Vec<Field> = line
                .split_whitespace()
                .map(|t| Field {
                    text: t.to_string(),
                    range,
                })
                .collect();
            if fields.first().is_some_and(|f| f.text == "ipvsadm") {
                fields.remove(0);
            }
            if fields.is_empty() || fields[0].text.starts_with('#') {
                continue;
            }
            self.ipvsadm_args(&fields, range, false);
        }
        true
    }
}

fn kind_name(c: &Command) -> &'static str {
    match c {
        Command::Simple(_) => "command",
        Command::Case(_) => "case",
        Command::If(_) => "if",
        Command::Loop(l) => l.kind.keyword(),
        Command::Group(g) if g.subshell => "subshell",
        Command::Group(_) => "group",
        Command::Function(_) => "function",
        Command::Error(_) => "error",
    }
}
