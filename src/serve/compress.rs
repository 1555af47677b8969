//! gzip as nginx's gzip filter applies it: `gzip on` for statuses 200/403/404 whose type is in
//! `gzip_types` (text/html always), longer than `gzip_min_length`, when the client accepts gzip
//! and, for requests that came through a proxy (`Via`), as `gzip_proxied` allows; `gzip_vary`
//! adds `Vary: Accept-Encoding`. The body is collected, then compressed at `gzip_comp_level`.

use std::io::Write;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::header::{
    HeaderMap, HeaderValue, ACCEPT_ENCODING, ACCEPT_RANGES, AUTHORIZATION, CACHE_CONTROL,
    CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, ETAG, EXPIRES, LAST_MODIFIED, VARY,
};
use hyper::{Response, Version};

use super::respond::{self, Body};

/// The effective gzip settings of a location.
#[derive(Debug, Clone)]
pub struct Gzip {
    pub level: u32,
    pub min_length: u64,
    /// MIME types besides text/html; `*` matches any.
    pub types: Vec<String>,
    pub vary: bool,
    pub proxied: Vec<String>,
    /// `gzip_http_version 1.0` accepts HTTP/1.0 requests too.
    pub http10: bool,
}

/// What of the request the decision needs.
pub struct RequestSide<'a> {
    pub headers: &'a HeaderMap,
    pub version: Version,
    pub head: bool,
}

/// Whether `Accept-Encoding` offers gzip with a non-zero quality.
pub fn accepts_gzip(h: &HeaderMap) -> bool {
    h.get_all(ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim();
            if !coding.eq_ignore_ascii_case("gzip") && !coding.eq_ignore_ascii_case("x-gzip") {
                return false;
            }
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            q > 0.0
        })
}

impl Gzip {
    /// `gzip_proxied` for a request with `Via`.
    fn proxied_ok(&self, req: &HeaderMap, resp: &HeaderMap) -> bool {
        let has = |w: &str| self.proxied.iter().any(|p| p == w);
        if self.proxied.is_empty() || has("off") {
            return false;
        }
        if has("any") || (has("auth") && req.contains_key(AUTHORIZATION)) {
            return true;
        }
        if has("expired") && resp.contains_key(EXPIRES) {
            return true;
        }
        let cc: String = resp
            .get_all(CACHE_CONTROL)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",")
            .to_ascii_lowercase();
        if (has("no-cache") && cc.contains("no-cache"))
            || (has("no-store") && cc.contains("no-store"))
            || (has("private") && cc.contains("private"))
        {
            return true;
        }
        (has("no_last_modified") && !resp.contains_key(LAST_MODIFIED))
            || (has("no_etag") && !resp.contains_key(ETAG))
    }

    fn type_ok(&self, resp: &HeaderMap) -> bool {
        let Some(ct) = resp.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
            return false;
        };
        let mime = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        mime == "text/html" || self.types.iter().any(|t| t == "*" || *t == mime)
    }

    /// Applies the filter to a response.
    pub async fn apply(&self, req: &RequestSide<'_>, resp: Response<Body>) -> Response<Body> {
        let status = resp.status().as_u16();
        let h = resp.headers();
        let length = h
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .or_else(|| hyper::body::Body::size_hint(resp.body()).exact());
        if !matches!(status, 200 | 403 | 404)
            || h.get(CONTENT_ENCODING).is_some_and(|v| !v.is_empty())
            || length.is_some_and(|l| l < self.min_length)
            || !self.type_ok(h)
            || req.head
        {
            return resp;
        }
        let mut resp = resp;
        // One `Vary: Accept-Encoding`, also when `gzip_static` already wrote it.
        let varies = resp
            .headers()
            .get_all(VARY)
            .iter()
            .any(|v| v.as_bytes().eq_ignore_ascii_case(b"accept-encoding"));
        if self.vary && !varies {
            resp.headers_mut()
                .append(VARY, HeaderValue::from_static("Accept-Encoding"));
        }
        let version_ok = match req.version {
            Version::HTTP_10 => self.http10,
            Version::HTTP_09 => false,
            _ => true,
        };
        if !accepts_gzip(req.headers)
            || !version_ok
            || (req.headers.contains_key("via") && !self.proxied_ok(req.headers, resp.headers()))
        {
            return resp;
        }
        let (mut parts, body) = resp.into_parts();
        let Ok(collected) = body.collect().await else {
            return respond::error(hyper::StatusCode::BAD_GATEWAY);
        };
        let data: Bytes = collected.to_bytes();
        let mut enc = flate2::write::GzEncoder::new(
            Vec::with_capacity(data.len() / 2 + 32),
            flate2::Compression::new(self.level.clamp(1, 9)),
        );
        if enc.write_all(&data).is_err() {
            return Response::from_parts(parts, respond::full(data));
        }
        let Ok(gz) = enc.finish() else {
            return Response::from_parts(parts, respond::full(data));
        };
        let h = &mut parts.headers;
        h.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        h.remove(CONTENT_LENGTH);
        h.remove(ACCEPT_RANGES);
        if let Some(tag) = h.get(ETAG).and_then(|v| v.to_str().ok()) {
            if !tag.starts_with("W/") {
                if let Ok(v) = HeaderValue::from_str(&format!("W/{tag}")) {
                    h.insert(ETAG, v);
                }
            }
        }
        Response::from_parts(parts, respond::full(gz))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_encoding_with_qualities() {
        let mut h = HeaderMap::new();
        h.insert(
            ACCEPT_ENCODING,
            HeaderValue::from_static("deflate, gzip;q=0.5"),
        );
        assert!(accepts_gzip(&h));
        h.insert(ACCEPT_ENCODING, HeaderValue::from_static("gzip;q=0, br"));
        assert!(!accepts_gzip(&h));
        h.remove(ACCEPT_ENCODING);
        assert!(!accepts_gzip(&h));
    }
}
