//! Hash keys: nginx `hash KEY` (a string with variables) and HAProxy's `balance uri`,
//! `url_param NAME` and `hdr(NAME)`, compiled once and rendered per request. HAProxy keys that
//! are absent from a request render as `None`, which sends it round-robin as HAProxy does.

use std::net::IpAddr;

use crate::serve::vars::{arg as param, cookie, split as split_vars, Piece};
use hyper::header::{HeaderMap, HeaderName};
use hyper::Uri;

/// A compiled key.
#[derive(Debug, Clone)]
pub enum KeySpec {
    /// nginx: text and variables, concatenated.
    Nginx(Vec<Part>),
    /// HAProxy `balance uri`: the path, without the query string.
    Uri,
    /// HAProxy `balance url_param NAME`: the parameter's value.
    UrlParam(String),
    /// HAProxy `balance hdr(NAME)`: the header's value.
    Header(HeaderName),
}

/// A piece of an nginx key.
#[derive(Debug, Clone)]
pub enum Part {
    Text(String),
    RequestUri,
    Uri,
    Args,
    Arg(String),
    Http(HeaderName),
    Cookie(String),
    RemoteAddr,
    Host,
}

/// What a key can be rendered from.
pub struct KeyInput<'a> {
    pub uri: &'a Uri,
    pub headers: &'a HeaderMap,
    pub remote: IpAddr,
    /// `$host`.
    pub host: &'a str,
}

impl KeySpec {
    /// Compiles the IR's hash key; `Err` names what the runtime cannot render.
    pub fn compile(key: &str) -> Result<KeySpec, String> {
        if key == "uri" {
            return Ok(KeySpec::Uri);
        }
        if let Some(name) = key
            .strip_prefix("url_param(")
            .and_then(|k| k.strip_suffix(')'))
        {
            return Ok(KeySpec::UrlParam(name.to_string()));
        }
        if let Some(name) = key.strip_prefix("hdr(").and_then(|k| k.strip_suffix(')')) {
            return HeaderName::from_bytes(name.trim().as_bytes())
                .map(KeySpec::Header)
                .map_err(|_| format!("`balance {key}`"));
        }
        if !key.contains('$') {
            if key.starts_with("rdp-cookie") || key.contains('(') {
                return Err(format!("the hash key `{key}`"));
            }
            return Ok(KeySpec::Nginx(vec![Part::Text(key.to_string())]));
        }
        let mut parts = Vec::new();
        for piece in split_vars(key).map_err(|_| format!("the hash key `{key}`"))? {
            let name = match piece {
                Piece::Text(t) => {
                    parts.push(Part::Text(t.to_string()));
                    continue;
                }
                Piece::Var(name) => name,
            };
            let unknown = || format!("the variable `${name}` in a hash key");
            parts.push(match name {
                "request_uri" => Part::RequestUri,
                "uri" | "document_uri" => Part::Uri,
                "args" | "query_string" => Part::Args,
                "remote_addr" => Part::RemoteAddr,
                "host" => Part::Host,
                n if n.starts_with("arg_") => Part::Arg(n["arg_".len()..].to_string()),
                n if n.starts_with("cookie_") => Part::Cookie(n["cookie_".len()..].to_string()),
                n if n.starts_with("http_") => Part::Http(
                    HeaderName::from_bytes(n["http_".len()..].replace('_', "-").as_bytes())
                        .map_err(|_| unknown())?,
                ),
                _ => return Err(unknown()),
            });
        }
        Ok(KeySpec::Nginx(parts))
    }

    /// The key of one request; `None` when a HAProxy key is absent.
    pub fn render(&self, r: &KeyInput) -> Option<Vec<u8>> {
        let query = r.uri.query().unwrap_or("");
        match self {
            KeySpec::Uri => Some(r.uri.path().as_bytes().to_vec()),
            KeySpec::UrlParam(name) => param(query, name).map(|v| v.as_bytes().to_vec()),
            KeySpec::Header(name) => r.headers.get(name).map(|v| v.as_bytes().to_vec()),
            KeySpec::Nginx(parts) => {
                let mut out = Vec::new();
                for p in parts {
                    match p {
                        Part::Text(t) => out.extend_from_slice(t.as_bytes()),
                        Part::RequestUri => out.extend_from_slice(
                            r.uri
                                .path_and_query()
                                .map_or("/", |p| p.as_str())
                                .as_bytes(),
                        ),
                        Part::Uri => out.extend_from_slice(r.uri.path().as_bytes()),
                        Part::Args => out.extend_from_slice(query.as_bytes()),
                        Part::Arg(n) => {
                            out.extend_from_slice(param(query, n).unwrap_or("").as_bytes())
                        }
                        Part::Http(h) => {
                            if let Some(v) = r.headers.get(h) {
                                out.extend_from_slice(v.as_bytes());
                            }
                        }
                        Part::Cookie(n) => {
                            if let Some(v) = cookie(r.headers, n) {
                                out.extend_from_slice(v.as_bytes());
                            }
                        }
                        Part::RemoteAddr => out.extend_from_slice(r.remote.to_string().as_bytes()),
                        Part::Host => out.extend_from_slice(r.host.as_bytes()),
                    }
                }
                Some(out)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(key: &str, uri: &str, headers: &[(&str, &str)]) -> Option<String> {
        let mut h = HeaderMap::new();
        for (n, v) in headers {
            h.append(
                HeaderName::from_bytes(n.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        let uri: Uri = uri.parse().unwrap();
        let input = KeyInput {
            uri: &uri,
            headers: &h,
            remote: IpAddr::from([10, 0, 0, 9]),
            host: "example.com",
        };
        KeySpec::compile(key)
            .unwrap()
            .render(&input)
            .map(|b| String::from_utf8(b).unwrap())
    }

    #[test]
    fn nginx_variables() {
        assert_eq!(render("$request_uri", "/a?b=1", &[]).unwrap(), "/a?b=1");
        assert_eq!(
            render("$host$uri-$arg_id", "/p?ID=7&x=1", &[]).unwrap(),
            "example.com/p-7"
        );
        assert_eq!(
            render(
                "${cookie_sid}:$http_x_user:$remote_addr",
                "/",
                &[("cookie", "a=1; sid=xyz"), ("x-user", "bob")]
            )
            .unwrap(),
            "xyz:bob:10.0.0.9"
        );
        assert!(KeySpec::compile("$upstream_addr").is_err());
    }

    #[test]
    fn haproxy_keys() {
        assert_eq!(render("uri", "/p/q?x=1", &[]).unwrap(), "/p/q");
        assert_eq!(render("url_param(id)", "/p?a=2&id=9", &[]).unwrap(), "9");
        assert_eq!(render("url_param(id)", "/p?a=2", &[]), None);
        assert_eq!(
            render("hdr(X-Tenant)", "/", &[("x-tenant", "t1")]).unwrap(),
            "t1"
        );
        assert_eq!(render("hdr(X-Tenant)", "/", &[]), None);
        assert!(KeySpec::compile("rdp-cookie(mstshash)").is_err());
    }
}
