//! Answers made by the runtime itself: `return` (relative redirects made absolute as nginx's
//! `absolute_redirect`), the error pages in nginx's layout, and the response body wrapper that
//! counts the bytes sent and runs the end-of-request work (access log, `limit_conn` slots).

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::header::{HeaderValue, CONTENT_TYPE, LOCATION};
use hyper::{Response, StatusCode};

/// The body type of every response the runtime writes.
pub type Body = BoxBody<Bytes, std::io::Error>;

pub fn full(text: impl Into<Bytes>) -> Body {
    Full::new(text.into())
        .map_err(|never| match never {})
        .boxed()
}

/// nginx's title of its own page for `status` (`ngx_http_error_pages`), where it differs from
/// the standard reason phrase.
fn nginx_title(status: StatusCode) -> &'static str {
    match status.as_u16() {
        302 => "Found",
        401 => "Authorization Required",
        405 => "Not Allowed",
        408 => "Request Time-out",
        413 => "Request Entity Too Large",
        414 => "Request-URI Too Large",
        416 => "Requested Range Not Satisfiable",
        503 => "Service Temporarily Unavailable",
        504 => "Gateway Time-out",
        _ => status.canonical_reason().unwrap_or(""),
    }
}

/// nginx's status line reason where it differs from the standard one.
pub fn nginx_reason(status: u16) -> Option<&'static str> {
    Some(match status {
        302 => "Moved Temporarily",
        405 => "Not Allowed",
        408 => "Request Time-out",
        413 => "Request Entity Too Large",
        414 => "Request-URI Too Large",
        416 => "Requested Range Not Satisfiable",
        503 => "Service Temporarily Unavailable",
        504 => "Gateway Time-out",
        _ => return None,
    })
}

/// Sets nginx's reason phrase on the status line when it differs from hyper's.
pub fn set_reason<B>(r: &mut Response<B>) {
    if !nginx_knows(r.status().as_u16()) {
        r.extensions_mut()
            .insert(hyper::ext::ReasonPhrase::from_static(b""));
    } else if let Some(reason) = nginx_reason(r.status().as_u16()) {
        r.extensions_mut()
            .insert(hyper::ext::ReasonPhrase::from_static(reason.as_bytes()));
    } else {
        r.extensions_mut().remove::<hyper::ext::ReasonPhrase>();
    }
}

/// Marks nginx's `return 444`: the connection is closed without a response (the access log
/// still says 444).
#[derive(Debug, Clone, Copy)]
pub struct Close;

/// What the connection's service answers instead of a response for [`Close`]: hyper then
/// closes the connection and writes nothing.
#[derive(Debug)]
pub struct Closed;

impl std::fmt::Display for Closed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("closed without a response (return 444)")
    }
}

impl std::error::Error for Closed {}

/// Marks a response the runtime wrote itself (an error page), so that `error_page` may
/// replace it even when it comes back from the proxy (502, 504).
#[derive(Debug, Clone, Copy)]
pub struct OwnAnswer;

/// Whether nginx has a status line text (`ngx_http_status_lines`) for `status`; for the
/// others it writes the bare number (`HTTP/1.1 418 `) and, at 400 and above, no error page.
fn nginx_knows(status: u16) -> bool {
    matches!(status, 100..=399 | 400..=416 | 421 | 429 | 494..=499 | 500..=507)
}

/// An nginx-style error page (an empty body for a status nginx has no page for).
pub fn error(status: StatusCode) -> Response<Body> {
    if !nginx_knows(status.as_u16()) {
        let mut r = Response::new(full(""));
        *r.status_mut() = status;
        set_reason(&mut r);
        r.extensions_mut().insert(OwnAnswer);
        // nginx's 444 without a text: the connection closes, nothing is sent.
        if status.as_u16() == 444 {
            r.extensions_mut().insert(Close);
        }
        return r;
    }
    let title = format!("{} {}", status.as_u16(), nginx_title(status));
    page(
        status,
        &title,
        &format!("<center><h1>{title}</h1></center>"),
    )
}

/// An nginx error page whose title names the cause while the heading keeps the status (nginx's
/// 494, "Request Header Or Cookie Too Large", sent as 400).
pub fn error_titled(status: StatusCode, title: &str, cause: &str) -> Response<Body> {
    let heading = format!("{} {}", status.as_u16(), nginx_title(status));
    let body = format!("<center><h1>{heading}</h1></center>\r\n<center>{cause}</center>");
    page(status, title, &body)
}

fn page(status: StatusCode, title: &str, body: &str) -> Response<Body> {
    let page = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n{body}\r\n<hr><center>lbc</center>\r\n</body>\r\n</html>\r\n"
    );
    let mut r = Response::new(full(page));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/html"));
    set_reason(&mut r);
    r.extensions_mut().insert(OwnAnswer);
    r
}

/// `return CODE [TEXT | URL]`: redirects carry the URL in `Location` (a URL starting with `/`
/// is prefixed with `base`, `http://host[:port]`), other codes answer the text with
/// `default_type`, or nginx's page when there is none.
pub fn answer(status: u16, text: Option<&str>, default_type: &str, base: &str) -> Response<Body> {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let redirect = matches!(status, 301 | 302 | 303 | 307 | 308);
    match text {
        Some(url) if redirect => {
            let mut r = error(code);
            let url = if url.starts_with('/') {
                format!("{base}{url}")
            } else {
                url.to_string()
            };
            if let Ok(v) = HeaderValue::from_str(&url) {
                r.headers_mut().insert(LOCATION, v);
            }
            r
        }
        Some(text) => {
            let mut r = Response::new(full(text.to_string()));
            *r.status_mut() = code;
            if let Ok(v) = HeaderValue::from_str(default_type) {
                r.headers_mut().insert(CONTENT_TYPE, v);
            }
            set_reason(&mut r);
            r
        }
        None if status >= 300 => error(code),
        None => {
            let mut r = Response::new(full(""));
            *r.status_mut() = code;
            r
        }
    }
}

/// Work to run once the response body is done (or dropped), with the body bytes sent.
pub type OnDone = Box<dyn FnOnce(u64) + Send + Sync>;

/// A body that counts its data bytes and calls [`OnDone`] when dropped.
pub struct Tracked {
    inner: Body,
    bytes: u64,
    on_done: Option<OnDone>,
}

impl Tracked {
    pub fn wrap(inner: Body, on_done: OnDone) -> Body {
        Tracked {
            inner,
            bytes: 0,
            on_done: Some(on_done),
        }
        .boxed()
    }
}

impl hyper::body::Body for Tracked {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, std::io::Error>>> {
        let polled = std::pin::Pin::new(&mut self.inner).poll_frame(cx);
        if let std::task::Poll::Ready(Some(Ok(frame))) = &polled {
            if let Some(d) = frame.data_ref() {
                self.bytes += d.len() as u64;
            }
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        if let Some(f) = self.on_done.take() {
            f(self.bytes);
        }
    }
}
