//! Answers made by the runtime itself: `return`, and the error pages for no matching location
//! (404) and unreachable upstreams (502), in nginx's page layout.

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::header::{HeaderValue, CONTENT_TYPE, LOCATION};
use hyper::{Response, StatusCode};

/// The body type of every response the runtime writes.
pub type Body = BoxBody<Bytes, hyper::Error>;

pub fn full(text: impl Into<Bytes>) -> Body {
    Full::new(text.into())
        .map_err(|never| match never {})
        .boxed()
}

/// An nginx-style error page.
pub fn error(status: StatusCode) -> Response<Body> {
    let title = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    );
    let page = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>lbc</center>\r\n</body>\r\n</html>\r\n"
    );
    let mut r = Response::new(full(page));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/html"));
    r
}

/// `return CODE [TEXT | URL]`: redirects carry the URL in `Location`, other codes answer the
/// text, or nginx's page when there is none.
pub fn answer(status: u16, text: Option<&str>) -> Response<Body> {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let redirect = matches!(status, 301 | 302 | 303 | 307 | 308);
    match text {
        Some(url) if redirect => {
            let mut r = error(code);
            if let Ok(v) = HeaderValue::from_str(url) {
                r.headers_mut().insert(LOCATION, v);
            }
            r
        }
        Some(text) => {
            let mut r = Response::new(full(text.to_string()));
            *r.status_mut() = code;
            r.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
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
