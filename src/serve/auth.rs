//! `auth_basic` and `auth_basic_user_file` as nginx's auth_basic module: the innermost
//! `auth_basic` (`off` lifts it), the user file read on every request (so edits apply at
//! once), `user:password[:comment]` lines, and 401 with `WWW-Authenticate: Basic realm="…"`.
//! Password schemes: `{PLAIN}`, `{SHA}`, `{SSHA}`, `$apr1$` and `$1$` (MD5-crypt); other
//! crypt(3) hashes are refused when the file is read at startup.

use hyper::header::{HeaderValue, AUTHORIZATION, WWW_AUTHENTICATE};
use hyper::{HeaderMap, Response, StatusCode};

use super::passwd::{apr1, base64_decode, sha1};
use super::respond::{self, Body};
use super::support::Findings;
use crate::ir::Settings;

/// The basic authentication of a scope.
#[derive(Debug, Clone)]
pub struct Auth {
    realm: String,
    file: String,
}

/// The innermost `auth_basic` and `auth_basic_user_file` of `chain`; `resolve` makes a
/// relative file name absolute (nginx's prefix).
pub fn compile(
    chain: &[&Settings],
    resolve: impl Fn(&str) -> String,
    f: &mut Findings,
) -> Option<Auth> {
    let realm = chain
        .iter()
        .rev()
        .find_map(|s| s.access.as_ref()?.auth_basic.as_ref())?;
    let file = chain.iter().rev().find_map(|s| {
        s.opaque
            .iter()
            .rev()
            .find(|o| o.name == "auth_basic_user_file")
    });
    if realm.value == "off" {
        return None;
    }
    // nginx checks nothing without a user file.
    let file = file?;
    let Some(path) = file.args.first() else {
        f.refuse(file.origin, "`auth_basic_user_file` without a file");
        return None;
    };
    if realm.value.contains('$') || path.contains('$') {
        f.refuse(
            realm.origin,
            "variables in `auth_basic`/`auth_basic_user_file`",
        );
        return None;
    }
    let path = resolve(path);
    match std::fs::read_to_string(&path) {
        Err(e) => {
            f.refuse(
                file.origin,
                format!("`auth_basic_user_file` it cannot read (`{path}`: {e})"),
            );
            return None;
        }
        Ok(text) => {
            if let Some(hash) = entries(&text).find_map(|(_, h)| scheme(h).err()) {
                f.refuse(
                    file.origin,
                    format!(
                        "the password scheme of `{hash}` in `{path}` (only {{PLAIN}}, {{SHA}}, {{SSHA}}, $apr1$ and $1$)"
                    ),
                );
                return None;
            }
        }
    }
    Some(Auth {
        realm: realm.value.clone(),
        file: path,
    })
}

/// The `user:hash` pairs of a user file (comments, blank lines and trailing fields skipped).
fn entries(text: &str) -> impl Iterator<Item = (&str, &str)> {
    text.lines().filter_map(|l| {
        let l = l.trim_end_matches('\r');
        if l.is_empty() || l.starts_with('#') {
            return None;
        }
        let (user, rest) = l.split_once(':')?;
        Some((user, rest.split(':').next().unwrap_or("")))
    })
}

enum Scheme<'a> {
    Plain(&'a str),
    Sha(&'a str),
    Ssha(&'a str),
    /// `$apr1$…` or `$1$…`: the whole hash.
    Md5(&'a str),
}

fn scheme(hash: &str) -> Result<Scheme<'_>, String> {
    if let Some(p) = hash.strip_prefix("{PLAIN}") {
        Ok(Scheme::Plain(p))
    } else if let Some(p) = hash.strip_prefix("{SHA}") {
        Ok(Scheme::Sha(p))
    } else if let Some(p) = hash.strip_prefix("{SSHA}") {
        Ok(Scheme::Ssha(p))
    } else if hash.starts_with("$apr1$") || hash.starts_with("$1$") {
        Ok(Scheme::Md5(hash))
    } else {
        let shown: String = hash.chars().take(6).collect();
        Err(format!("{shown}…"))
    }
}

fn matches(hash: &str, password: &[u8]) -> bool {
    match scheme(hash) {
        Ok(Scheme::Plain(p)) => p.as_bytes() == password,
        Ok(Scheme::Sha(b)) => base64_decode(b).is_some_and(|d| d == sha1(password)),
        Ok(Scheme::Ssha(b)) => base64_decode(b).is_some_and(|d| {
            d.len() > 20 && {
                let (digest, salt) = d.split_at(20);
                digest == sha1(&[password, salt].concat())
            }
        }),
        Ok(Scheme::Md5(h)) => apr1(password, h).is_some_and(|computed| computed == h),
        Err(_) => false,
    }
}

impl Auth {
    /// `None` when the request may pass; else nginx's answer (401, or 500 when the file
    /// cannot be read).
    pub fn check(&self, headers: &HeaderMap) -> Option<Response<Body>> {
        let credentials = headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (kind, value) = v.split_once(' ')?;
                kind.eq_ignore_ascii_case("basic").then_some(value.trim())
            })
            .and_then(base64_decode);
        if let Some(c) = credentials {
            let text = match std::fs::read_to_string(&self.file) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("lbc serve: cannot read {}: {e}", self.file);
                    return Some(respond::error(StatusCode::INTERNAL_SERVER_ERROR));
                }
            };
            let colon = c.iter().position(|&b| b == b':');
            if let Some(i) = colon {
                let (user, password) = (&c[..i], &c[i + 1..]);
                let known = entries(&text).find(|(u, _)| u.as_bytes() == user);
                if known.is_some_and(|(_, hash)| matches(hash, password)) {
                    return None;
                }
            }
        }
        let mut r = respond::error(StatusCode::UNAUTHORIZED);
        let value = format!("Basic realm=\"{}\"", self.realm);
        if let Ok(v) = HeaderValue::from_str(&value) {
            r.headers_mut().insert(WWW_AUTHENTICATE, v);
        }
        Some(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes() {
        // `htpasswd -s`: secret.
        assert!(matches("{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=", b"secret"));
        assert!(!matches("{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=", b"Secret"));
        assert!(matches("{PLAIN}pw", b"pw"));
        // `openssl passwd -apr1 -salt abcdefgh secret`, `openssl passwd -1 -salt xyz secret`.
        assert!(matches("$apr1$abcdefgh$h9FWgUz3n9YxylKLlR5SQ/", b"secret"));
        assert!(!matches("$apr1$abcdefgh$h9FWgUz3n9YxylKLlR5SQ/", b"secreT"));
        assert!(matches("$1$xyz$Qia9Wq6FxQkYcwNWMk/RM0", b"secret"));
    }
}
