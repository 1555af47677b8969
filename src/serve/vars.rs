//! nginx variable references in a value (`$name`, `${name}`), split once for every compiler of
//! values with variables: header templates, log formats and the hash keys of HTTP and L4 pools.

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
