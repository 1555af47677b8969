//! nginx variable references in a value (`$name`, `${name}`), split once for every compiler of
//! values with variables: header templates, log formats and the hash keys of HTTP and L4 pools;
//! and the request's arguments and cookies as `$arg_NAME` and `$cookie_NAME` read them.

/// A piece of a value: literal text or the name of a variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'a> {
    Text(&'a str),
    Var(&'a str),
}

/// Splits `value` into text and variable names, as nginx's script compiler reads them: a name
/// is letters, digits and `_`, or anything up to the `}` of `${…}`. `Err` holds the text after
/// a `$` whose `${` is never closed.
pub fn split(value: &str) -> Result<Vec<Piece<'_>>, &str> {
    let mut pieces = Vec::new();
    let mut rest = value;
    while let Some(i) = rest.find('$') {
        if i > 0 {
            pieces.push(Piece::Text(&rest[..i]));
        }
        let after = &rest[i + 1..];
        let (name, next) = if let Some(braced) = after.strip_prefix('{') {
            let end = braced.find('}').ok_or(after)?;
            (&braced[..end], &braced[end + 1..])
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        pieces.push(Piece::Var(name));
        rest = next;
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest));
    }
    Ok(pieces)
}

/// The value of query parameter `name` (nginx `$arg_NAME` matches the name without case).
pub fn arg<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        k.eq_ignore_ascii_case(name).then_some(v)
    })
}

/// The value of cookie `name` (without case, as nginx's `$cookie_NAME`) in the `Cookie`
/// headers.
pub fn cookie<'a>(headers: &'a hyper::header::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(hyper::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            k.eq_ignore_ascii_case(name).then_some(v)
        })
}

#[cfg(test)]
mod tests {
    use super::{split, Piece};

    #[test]
    fn text_plain_and_braced_variables() {
        assert_eq!(
            split("a $host:${server_port}/x$1").unwrap(),
            [
                Piece::Text("a "),
                Piece::Var("host"),
                Piece::Text(":"),
                Piece::Var("server_port"),
                Piece::Text("/x"),
                Piece::Var("1"),
            ]
        );
        assert_eq!(split("plain").unwrap(), [Piece::Text("plain")]);
        assert_eq!(split("${open").unwrap_err(), "{open");
    }
}
