//! Request headers to upstreams: `proxy_set_header` values compiled into templates of literal
//! text and the nginx variables the runtime knows, nginx's default `Host $proxy_host`, and the
//! hop-by-hop headers that never cross a proxy.

use hyper::header::{HeaderMap, HeaderName, HeaderValue, HOST};

use super::support::Findings;
use crate::ir::Header;

/// Hop-by-hop headers (RFC 9110 §7.6.1), removed in both directions.
pub const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// A header value: literal pieces and variables.
#[derive(Debug, Clone)]
pub struct Template(Vec<Part>);

#[derive(Debug, Clone)]
enum Part {
    Text(String),
    Host,
    HttpHeader(HeaderName),
    RemoteAddr,
    ProxyAddXForwardedFor,
    Scheme,
    ProxyHost,
    RequestUri,
    ServerPort,
}

/// What variables expand to for one request.
pub struct Vars<'a> {
    pub request: &'a HeaderMap,
    /// `$host`: the Host header without port, lowercased, else the first server name.
    pub host: &'a str,
    pub remote_addr: String,
    pub proxy_host: &'a str,
    pub request_uri: &'a str,
    pub server_port: u16,
}

impl Template {
    pub fn render(&self, v: &Vars) -> String {
        let mut out = String::new();
        for p in &self.0 {
            match p {
                Part::Text(t) => out.push_str(t),
                Part::Host => out.push_str(v.host),
                Part::HttpHeader(name) => out.push_str(
                    v.request
                        .get(name)
                        .and_then(|h| h.to_str().ok())
                        .unwrap_or(""),
                ),
                Part::RemoteAddr => out.push_str(&v.remote_addr),
                Part::ProxyAddXForwardedFor => {
                    let previous: Vec<&str> = v
                        .request
                        .get_all("x-forwarded-for")
                        .iter()
                        .filter_map(|h| h.to_str().ok())
                        .collect();
                    for p in previous {
                        out.push_str(p);
                        out.push_str(", ");
                    }
                    out.push_str(&v.remote_addr);
                }
                Part::Scheme => out.push_str("http"),
                Part::ProxyHost => out.push_str(v.proxy_host),
                Part::RequestUri => out.push_str(v.request_uri),
                Part::ServerPort => out.push_str(&v.server_port.to_string()),
            }
        }
        out
    }
}

/// Compiles `proxy_set_header` entries, adding nginx's `Host $proxy_host` unless `Host` is set.
/// `None` (with a refusal) when a value uses a variable the runtime does not know.
pub fn compile(headers: &[Header], f: &mut Findings) -> Option<Vec<(HeaderName, Template)>> {
    let mut out = Vec::new();
    let mut ok = true;
    for h in headers {
        let Ok(name) = HeaderName::from_bytes(h.name.as_bytes()) else {
            f.refuse(h.origin, format!("the header name `{}`", h.name));
            ok = false;
            continue;
        };
        match template(&h.value) {
            Ok(t) => out.push((name, t)),
            Err(var) => {
                f.refuse(h.origin, format!("the variable `${var}`"));
                ok = false;
            }
        }
    }
    if !out.iter().any(|(n, _)| n == HOST) {
        out.insert(0, (HOST, Template(vec![Part::ProxyHost])));
    }
    ok.then_some(out)
}

/// Splits a value into text and variables (`$name` or `${name}`); `Err` names an unknown one.
fn template(value: &str) -> Result<Template, String> {
    let mut parts = Vec::new();
    let mut rest = value;
    while let Some(i) = rest.find('$') {
        if i > 0 {
            parts.push(Part::Text(rest[..i].to_string()));
        }
        let after = &rest[i + 1..];
        let (name, next) = if let Some(braced) = after.strip_prefix('{') {
            let end = braced.find('}').ok_or_else(|| after.to_string())?;
            (&braced[..end], &braced[end + 1..])
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        parts.push(match name {
            "host" => Part::Host,
            "remote_addr" => Part::RemoteAddr,
            "proxy_add_x_forwarded_for" => Part::ProxyAddXForwardedFor,
            "scheme" => Part::Scheme,
            "proxy_host" => Part::ProxyHost,
            "request_uri" => Part::RequestUri,
            "server_port" => Part::ServerPort,
            n if n.starts_with("http_") => {
                let header = n["http_".len()..].replace('_', "-");
                Part::HttpHeader(
                    HeaderName::from_bytes(header.as_bytes()).map_err(|_| n.to_string())?,
                )
            }
            n => return Err(n.to_string()),
        });
        rest = next;
    }
    if !rest.is_empty() {
        parts.push(Part::Text(rest.to_string()));
    }
    Ok(Template(parts))
}

/// Removes hop-by-hop headers and those the `Connection` header names.
pub fn strip_hop_by_hop(h: &mut HeaderMap) {
    let named: Vec<HeaderName> = h
        .get_all("connection")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|n| HeaderName::from_bytes(n.trim().as_bytes()).ok())
        .collect();
    for n in named {
        h.remove(n);
    }
    for n in HOP_BY_HOP {
        h.remove(*n);
    }
}

/// Applies the compiled headers: an empty value removes the header, as in nginx.
pub fn apply(h: &mut HeaderMap, set: &[(HeaderName, Template)], v: &Vars) {
    let values: Vec<(HeaderName, String)> =
        set.iter().map(|(n, t)| (n.clone(), t.render(v))).collect();
    for (name, value) in values {
        if value.is_empty() {
            h.remove(&name);
        } else if let Ok(value) = HeaderValue::from_str(&value) {
            h.insert(name, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_expand_variables() {
        let mut req = HeaderMap::new();
        req.insert("x-forwarded-for", HeaderValue::from_static("10.0.0.1"));
        req.insert("user-agent", HeaderValue::from_static("t"));
        let v = Vars {
            request: &req,
            host: "example.com",
            remote_addr: "127.0.0.1".into(),
            proxy_host: "app",
            request_uri: "/x?y",
            server_port: 8080,
        };
        let t = template("$proxy_add_x_forwarded_for").unwrap();
        assert_eq!(t.render(&v), "10.0.0.1, 127.0.0.1");
        let t = template("${host}:$server_port $http_user_agent").unwrap();
        assert_eq!(t.render(&v), "example.com:8080 t");
        assert_eq!(template("$upstream_addr").unwrap_err(), "upstream_addr");
    }
}
