//! `auth_basic` and `auth_basic_user_file` as nginx's auth_basic module: the innermost
//! `auth_basic` (`off` lifts it), the user file read on every request (so edits apply at
//! once), `user:password[:comment]` lines, and 401 with `WWW-Authenticate: Basic realm="…"`.
//! Password schemes: `{PLAIN}`, `{SHA}` and `{SSHA}`; crypt(3) and `$apr1$` hashes are
//! refused when the file is read at startup.

use hyper::header::{HeaderValue, AUTHORIZATION, WWW_AUTHENTICATE};
use hyper::{HeaderMap, Response, StatusCode};

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
                        "the password scheme of `{hash}` in `{path}` (only {{PLAIN}}, {{SHA}} and {{SSHA}})"
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
}

fn scheme(hash: &str) -> Result<Scheme<'_>, String> {
    if let Some(p) = hash.strip_prefix("{PLAIN}") {
        Ok(Scheme::Plain(p))
    } else if let Some(p) = hash.strip_prefix("{SHA}") {
        Ok(Scheme::Sha(p))
    } else if let Some(p) = hash.strip_prefix("{SSHA}") {
        Ok(Scheme::Ssha(p))
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

/// Standard base64 (padding optional); `None` on other characters.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.trim_end_matches('=').bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// SHA-1 (FIPS 180-4), for `{SHA}` and `{SSHA}` passwords.
fn sha1(data: &[u8]) -> Vec<u8> {
    let mut h: [u32; 5] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];
    let mut msg = data.to_vec();
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&((data.len() as u64).wrapping_mul(8)).to_be_bytes());
    for block in msg.chunks(64) {
        let mut w = [0u32; 80];
        for (i, word) in block.chunks(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A827999),
                20..=39 => (b ^ c ^ d, 0x6ED9EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1BBCDC),
                _ => (b ^ c ^ d, 0xCA62C1D6),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }
    h.iter().flat_map(|x| x.to_be_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha1_and_base64() {
        let hex: String = sha1(b"abc").iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(base64_decode("dXNlcjpwYXNz").unwrap(), b"user:pass");
        assert!(base64_decode("!!").is_none());
        // `htpasswd -s`: user / secret.
        assert!(matches("{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=", b"secret"));
        assert!(!matches("{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=", b"Secret"));
        assert!(matches("{PLAIN}pw", b"pw"));
    }
}
