//! nginx's `sub_filter`: strings in response bodies replaced as the body streams — matched
//! without case, each string once (`sub_filter_once on`, the default) or everywhere — in
//! responses of `sub_filter_types` (`text/html` always), encoded or not, as nginx; such a
//! response loses its `Content-Length` (it is sent chunked) and, unless
//! `sub_filter_last_modified on`, its `Last-Modified` and `ETag`.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, ETAG, LAST_MODIFIED};
use hyper::Response;

use super::headers::{template, Extra, Template, Vars};
use super::respond::Body;
use super::support::Findings;
use crate::ir::Settings;

/// The `sub_filter` settings of a location.
#[derive(Debug)]
pub struct SubFilter {
    /// (the string, lower-cased; its replacement), in the order written.
    pairs: Vec<(Vec<u8>, Template)>,
    once: bool,
    /// Besides `text/html`; `*` is any type.
    types: Vec<String>,
    last_modified: bool,
}

/// The `sub_filter` lines of the innermost level of `chain` that has some, with the innermost
/// `sub_filter_once`, `sub_filter_types` and `sub_filter_last_modified`.
pub fn compile(chain: &[&Settings], f: &mut Findings) -> Option<Arc<SubFilter>> {
    let innermost = |name: &str| {
        chain
            .iter()
            .rev()
            .find_map(|s| s.opaque.iter().rev().find(|o| o.name == name))
    };
    let lines = super::content::innermost(chain, "sub_filter");
    if lines.is_empty() {
        return None;
    }
    let mut pairs = Vec::new();
    for o in lines {
        let [from, to] = &o.args[..] else {
            f.refuse(o.origin, "`sub_filter` without a string and a replacement");
            continue;
        };
        if from.contains('$') {
            f.refuse(o.origin, "variables in a `sub_filter` string");
            continue;
        }
        if from.is_empty() {
            continue;
        }
        match template(to) {
            Ok(t) => pairs.push((from.to_ascii_lowercase().into_bytes(), t)),
            Err(var) => f.refuse(o.origin, format!("the variable `${var}` in `sub_filter`")),
        }
    }
    let flag = |name: &str, default: bool| {
        innermost(name).map_or(default, |o| o.args.first().is_some_and(|a| a == "on"))
    };
    let types = innermost("sub_filter_types")
        .map(|o| o.args.iter().map(|a| a.to_ascii_lowercase()).collect())
        .unwrap_or_default();
    Some(Arc::new(SubFilter {
        pairs,
        once: flag("sub_filter_once", true),
        types,
        last_modified: flag("sub_filter_last_modified", false),
    }))
}

impl SubFilter {
    /// Wraps `resp`'s body when the filter applies to it (its replacements rendered now).
    pub fn apply(&self, resp: Response<Body>, v: &Vars, x: &Extra) -> Response<Body> {
        let h = resp.headers();
        let mime = h
            .get(CONTENT_TYPE)
            .and_then(|c| c.to_str().ok())
            .and_then(|c| c.split(';').next())
            .map(|c| c.trim().to_ascii_lowercase())
            .unwrap_or_default();
        let typed = mime == "text/html" || self.types.iter().any(|t| t == "*" || *t == mime);
        // nginx looks into encoded bodies too (where compressed bytes rarely match).
        let empty = h.get(CONTENT_LENGTH).is_some_and(|l| l == "0");
        if self.pairs.is_empty() || !typed || empty {
            return resp;
        }
        let pairs = self
            .pairs
            .iter()
            .map(|(from, to)| (from.clone(), Bytes::from(to.render_ext(v, x))))
            .collect();
        let (mut parts, body) = resp.into_parts();
        parts.headers.remove(CONTENT_LENGTH);
        if self.last_modified {
            weaken_etag(&mut parts.headers);
        } else {
            parts.headers.remove(LAST_MODIFIED);
            parts.headers.remove(ETAG);
        }
        let body = Substitute {
            inner: body,
            matcher: Matcher::new(pairs, self.once),
            done: false,
        };
        Response::from_parts(parts, Body::new(body))
    }
}

fn weaken_etag(h: &mut hyper::HeaderMap) {
    let weak = h
        .get(ETAG)
        .and_then(|e| e.to_str().ok())
        .filter(|e| e.starts_with('"'))
        .and_then(|e| hyper::header::HeaderValue::from_str(&format!("W/{e}")).ok());
    if let Some(w) = weak {
        h.insert(ETAG, w);
    }
}

/// The streaming replacement: what is left of the strings, and the bytes held back because
/// a string may begin in them.
struct Matcher {
    pairs: Vec<(Vec<u8>, Bytes)>,
    once: bool,
    held: BytesMut,
}

impl Matcher {
    fn new(pairs: Vec<(Vec<u8>, Bytes)>, once: bool) -> Matcher {
        Matcher {
            pairs,
            once,
            held: BytesMut::new(),
        }
    }

    /// The output for `data` (`last`: nothing follows, so nothing is held back).
    fn feed(&mut self, data: &[u8], last: bool) -> Bytes {
        if self.pairs.is_empty() && self.held.is_empty() {
            return Bytes::copy_from_slice(data);
        }
        self.held.extend_from_slice(data);
        let buf = std::mem::take(&mut self.held).freeze();
        let mut out = BytesMut::with_capacity(buf.len());
        let mut at = 0;
        loop {
            // The leftmost match of any string; at one place, the first string written.
            let found = (at..buf.len()).find_map(|i| {
                self.pairs
                    .iter()
                    .position(|(from, _)| starts_with_caseless(&buf[i..], from))
                    .map(|p| (i, p))
            });
            let Some((i, p)) = found else { break };
            out.extend_from_slice(&buf[at..i]);
            out.extend_from_slice(&self.pairs[p].1);
            at = i + self.pairs[p].0.len();
            if self.once {
                self.pairs.remove(p);
            }
        }
        // A string may start within the last bytes and end in the next data.
        let keep = if last {
            0
        } else {
            let longest = self.pairs.iter().map(|(f, _)| f.len()).max().unwrap_or(1);
            (longest - 1).min(buf.len() - at)
        };
        let end = buf.len() - keep;
        out.extend_from_slice(&buf[at..end]);
        self.held.extend_from_slice(&buf[end..]);
        out.freeze()
    }
}

fn starts_with_caseless(hay: &[u8], lower: &[u8]) -> bool {
    hay.len() >= lower.len()
        && hay
            .iter()
            .zip(lower)
            .all(|(a, b)| a.to_ascii_lowercase() == *b)
}

/// A body passed through a [`Matcher`].
struct Substitute {
    inner: Body,
    matcher: Matcher,
    done: bool,
}

impl HttpBody for Substitute {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        let this = &mut *self;
        loop {
            if this.done {
                return Poll::Ready(None);
            }
            match Pin::new(&mut this.inner).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) => {
                        let out = this.matcher.feed(&data, false);
                        if !out.is_empty() {
                            return Poll::Ready(Some(Ok(Frame::data(out))));
                        }
                    }
                    Err(frame) => return Poll::Ready(Some(Ok(frame))),
                },
                Poll::Ready(None) => {
                    this.done = true;
                    let rest = this.matcher.feed(&[], true);
                    if !rest.is_empty() {
                        return Poll::Ready(Some(Ok(Frame::data(rest))));
                    }
                }
            }
        }
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(pairs: &[(&str, &str)], once: bool, chunks: &[&str]) -> String {
        let pairs = pairs
            .iter()
            .map(|(f, t)| {
                (
                    f.to_ascii_lowercase().into_bytes(),
                    Bytes::from(t.to_string()),
                )
            })
            .collect();
        let mut m = Matcher::new(pairs, once);
        let mut out = Vec::new();
        for c in chunks {
            out.extend_from_slice(&m.feed(c.as_bytes(), false));
        }
        out.extend_from_slice(&m.feed(&[], true));
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn strings_are_replaced_across_chunks_without_case() {
        let pairs = [("http://app/", "/"), ("foo", "bar")];
        assert_eq!(
            run(
                &pairs,
                false,
                &["<a href=\"HTTP://ap", "p/x\">Foo fo", "o</a>"]
            ),
            "<a href=\"/x\">bar bar</a>"
        );
        // Once: each string's first place only.
        assert_eq!(
            run(&pairs, true, &["foo foo http://app/ http://app/"]),
            "bar foo / http://app/"
        );
        assert_eq!(run(&[("abc", "x")], false, &["ab", "", "c ab"]), "x ab");
    }
}
