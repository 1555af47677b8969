//! Word expansion for the shell subset: quote removal, `$v`/`${v}`/`${v:-default}` parameter
//! expansion with field splitting, and glob matching of `case` patterns. Anything lbc cannot know
//! statically (command substitution, arithmetic, unset variables, script arguments) makes the
//! word unknown, with the reason.

/// What a variable holds, as far as lbc knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Var {
    Known(String),
    /// Set, but to something lbc cannot compute (the reason says why).
    Unknown(String),
}

/// Expands one word into fields. `lookup` returns `None` for a variable the script never set.
pub fn expand(raw: &str, lookup: &dyn Fn(&str) -> Option<Var>) -> Result<Vec<String>, String> {
    let mut fields: Vec<String> = Vec::new();
    let mut cur = String::new();
    // Whether `cur` is a field even when empty (a quoted empty string).
    let mut has_field = false;
    let b: Vec<char> = raw.chars().collect();
    let mut i = 0;
    let push_split = |text: &str, cur: &mut String, has: &mut bool, fields: &mut Vec<String>| {
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            if c == ' ' || c == '\t' || c == '\n' {
                if *has || !cur.is_empty() {
                    fields.push(std::mem::take(cur));
                    *has = false;
                }
                while chars.peek().is_some_and(|c| matches!(c, ' ' | '\t' | '\n')) {
                    chars.next();
                }
            } else {
                cur.push(c);
                *has = true;
            }
        }
    };
    while i < b.len() {
        match b[i] {
            '\\' => {
                if let Some(&c) = b.get(i + 1) {
                    if c != '\n' {
                        cur.push(c);
                        has_field = true;
                    }
                }
                i += 2;
            }
            '\'' => {
                let end = find(&b, i + 1, '\'').ok_or("an unterminated quote")?;
                cur.extend(&b[i + 1..end]);
                has_field = true;
                i = end + 1;
            }
            '"' => {
                has_field = true;
                i += 1;
                while i < b.len() && b[i] != '"' {
                    match b[i] {
                        '\\' => {
                            match b.get(i + 1) {
                                Some(&c @ ('$' | '`' | '"' | '\\')) => cur.push(c),
                                Some('\n') => {}
                                Some(&c) => {
                                    cur.push('\\');
                                    cur.push(c);
                                }
                                None => cur.push('\\'),
                            }
                            i += 2;
                        }
                        '$' => {
                            let (text, next) = parameter(&b, i, lookup)?;
                            cur.push_str(&text);
                            i = next;
                        }
                        '`' => return Err("a command substitution (`…`)".into()),
                        c => {
                            cur.push(c);
                            i += 1;
                        }
                    }
                }
                i += 1;
            }
            '$' => {
                let (text, next) = parameter(&b, i, lookup)?;
                push_split(&text, &mut cur, &mut has_field, &mut fields);
                i = next;
            }
            '`' => return Err("a command substitution (`…`)".into()),
            c => {
                cur.push(c);
                has_field = true;
                i += 1;
            }
        }
    }
    if has_field || !cur.is_empty() {
        fields.push(cur);
    }
    Ok(fields)
}

fn find(b: &[char], from: usize, c: char) -> Option<usize> {
    b[from.min(b.len())..]
        .iter()
        .position(|&x| x == c)
        .map(|p| p + from)
}

fn resolve(name: &str, lookup: &dyn Fn(&str) -> Option<Var>) -> Result<String, String> {
    match lookup(name) {
        Some(Var::Known(v)) => Ok(v),
        Some(Var::Unknown(why)) => Err(why),
        None if name.chars().all(|c| c.is_ascii_digit()) => {
            Err(format!("`${name}`, an argument of the script"))
        }
        None => Err(format!("`${name}`, which this script never sets")),
    }
}

/// Expands the `$…` at `i`; returns the text and the index after it.
fn parameter(
    b: &[char],
    i: usize,
    lookup: &dyn Fn(&str) -> Option<Var>,
) -> Result<(String, usize), String> {
    match b.get(i + 1) {
        Some('(') if b.get(i + 2) == Some(&'(') => Err("an arithmetic expansion `$((…))`".into()),
        Some('(') => Err("a command substitution `$(…)`".into()),
        Some('[') => Err("an arithmetic expansion `$[…]`".into()),
        Some('{') => {
            let end = find(b, i + 2, '}').ok_or("an unterminated `${`")?;
            let inner: String = b[i + 2..end].iter().collect();
            let name_len = inner
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(inner.len());
            let (name, op) = inner.split_at(name_len);
            if name.is_empty() {
                return Err(format!("`${{{inner}}}`"));
            }
            let text = if op.is_empty() {
                resolve(name, lookup)?
            } else if let Some(default) = op.strip_prefix(":-").or_else(|| op.strip_prefix('-')) {
                match lookup(name) {
                    Some(Var::Known(v)) if !v.is_empty() || op.starts_with('-') => v,
                    Some(Var::Unknown(why)) => return Err(why),
                    _ => expand(default, lookup)?.join(" "),
                }
            } else {
                return Err(format!("`${{{inner}}}`"));
            };
            Ok((text, end + 1))
        }
        Some(c) if c.is_ascii_alphabetic() || *c == '_' => {
            let mut j = i + 1;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == '_') {
                j += 1;
            }
            let name: String = b[i + 1..j].iter().collect();
            Ok((resolve(&name, lookup)?, j))
        }
        Some(c) if c.is_ascii_digit() => Ok((resolve(&c.to_string(), lookup)?, i + 2)),
        Some(c @ ('#' | '@' | '*' | '?' | '$' | '!' | '-')) => {
            Err(format!("`${c}`, known only when the script runs"))
        }
        _ => Ok(("$".into(), i + 1)),
    }
}

/// Whether `s` matches the glob `pat` (`*`, `?`, and literal characters).
pub fn glob_match(pat: &str, s: &str) -> bool {
    let p: Vec<char> = pat.chars().collect();
    let t: Vec<char> = s.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(sp) = star {
            pi = sp + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<Var> {
        match name {
            "vip" => Some(Var::Known("10.0.0.1".into())),
            "cmd" => Some(Var::Known("./ipvsadm ".into())),
            "e" => Some(Var::Known(String::new())),
            "u" => Some(Var::Unknown("`$(date)`".into())),
            _ => None,
        }
    }

    #[test]
    fn expansions() {
        let x = |w: &str| expand(w, &env);
        assert_eq!(x("$vip:80"), Ok(vec!["10.0.0.1:80".to_string()]));
        assert_eq!(x("\"${vip}\":80"), Ok(vec!["10.0.0.1:80".to_string()]));
        assert_eq!(x("$cmd"), Ok(vec!["./ipvsadm".to_string()]));
        assert_eq!(x("\"$cmd\""), Ok(vec!["./ipvsadm ".to_string()]));
        assert_eq!(x("$e"), Ok(vec![]));
        assert_eq!(x("\"\""), Ok(vec![String::new()]));
        assert_eq!(x("'$vip'"), Ok(vec!["$vip".to_string()]));
        assert_eq!(x("${nope:-d}"), Ok(vec!["d".to_string()]));
        assert!(x("$u").is_err());
        assert!(x("$1").unwrap_err().contains("argument"));
        assert!(x("$(hostname)").is_err());
    }

    #[test]
    fn globs() {
        assert!(glob_match("start", "start"));
        assert!(glob_match("*", "anything"));
        assert!(glob_match("st*t", "start"));
        assert!(!glob_match("stop", "start"));
    }
}
