//! Directory listings (`autoindex`) byte for byte as nginx's autoindex module writes them:
//! HTML (exact or rounded sizes), JSON and XML; directories first, then names in byte order,
//! hidden entries skipped.

use std::time::{SystemTime, UNIX_EPOCH};

/// `autoindex_format`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub enum Format {
    #[default]
    Html,
    Json,
    Xml,
}

/// How a listing is written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Style {
    pub format: Format,
    /// `autoindex_exact_size` (HTML only).
    pub exact_size: bool,
}

impl Default for Style {
    fn default() -> Style {
        Style {
            format: Format::Html,
            exact_size: true,
        }
    }
}

struct Entry {
    dir: bool,
    name: String,
    mtime: SystemTime,
    size: u64,
}

/// The listing of `dir` (reached as `uri`) and its MIME type.
pub fn list(
    dir: &std::path::Path,
    uri: &str,
    utf8: bool,
    style: Style,
) -> std::io::Result<(String, &'static str)> {
    let mut entries = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let Ok(meta) = std::fs::metadata(e.path()) else {
            continue;
        };
        entries.push(Entry {
            dir: meta.is_dir(),
            name,
            mtime: meta.modified().unwrap_or(UNIX_EPOCH),
            size: meta.len(),
        });
    }
    entries.sort_by(|a, b| b.dir.cmp(&a.dir).then_with(|| a.name.cmp(&b.name)));
    Ok(match style.format {
        Format::Html => (html(&entries, uri, utf8, style.exact_size), "text/html"),
        Format::Json => (json(&entries), "application/json"),
        Format::Xml => (xml(&entries), "text/xml; charset=utf-8"),
    })
}

/// Bytes `href`s escape in listings (nginx's `NGX_ESCAPE_HTML`).
fn escape_href(name: &str) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        if b <= b' ' || b >= 0x7f || b"\"#%&'<>?".contains(&b) {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push(b as char);
        }
    }
    out
}

pub fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `21-Nov-2026 06:58` of a time (UTC, as `autoindex_localtime off`).
fn listing_date(t: SystemTime) -> String {
    // "Sat, 21 Nov 2026 06:58:50 GMT"
    let http = httpdate::fmt_http_date(t);
    let p: Vec<&str> = http.split(' ').collect();
    match p.as_slice() {
        [_, d, m, y, hms, _] => format!("{d}-{m}-{y} {}", &hms[..5]),
        _ => http,
    }
}

/// nginx's rounded size column: `%6i` with K/M/G (halves round up), or ` %6i` below 10000.
fn rounded(size: u64) -> String {
    const K: u64 = 1024;
    let scaled = |unit: u64| size / unit + u64::from(size % unit > unit / 2 - 1);
    if size > K * K * K - 1 {
        format!("{:>6}G", scaled(K * K * K))
    } else if size > K * K - 1 {
        format!("{:>6}M", scaled(K * K))
    } else if size > 9999 {
        format!("{:>6}K", scaled(K))
    } else {
        format!(" {size:>6}")
    }
}

fn html(entries: &[Entry], uri: &str, utf8: bool, exact: bool) -> String {
    const NAME_LEN: usize = 50;
    let title = escape_html(uri);
    let mut page = format!(
        "<html>\r\n<head><title>Index of {title}</title></head>\r\n<body>\r\n<h1>Index of {title}</h1><hr><pre><a href=\"../\">../</a>\r\n"
    );
    for e in entries {
        let name = &e.name;
        let slash = if e.dir { "/" } else { "" };
        page.push_str(&format!("<a href=\"{}{slash}\">", escape_href(name)));
        let mut len = if utf8 {
            name.chars().count()
        } else {
            name.len()
        };
        if len > NAME_LEN {
            let cut: String = if utf8 {
                name.chars().take(NAME_LEN - 3).collect()
            } else {
                String::from_utf8_lossy(&name.as_bytes()[..NAME_LEN - 3]).into_owned()
            };
            page.push_str(&escape_html(&cut));
            page.push_str("..&gt;</a>");
        } else {
            page.push_str(&escape_html(name));
            if e.dir && NAME_LEN > len {
                page.push('/');
                len += 1;
            }
            page.push_str("</a>");
            page.push_str(&" ".repeat(NAME_LEN - len));
        }
        page.push(' ');
        page.push_str(&listing_date(e.mtime));
        page.push(' ');
        let size = match (exact, e.dir) {
            (true, true) => format!("{:>19}", "-"),
            (true, false) => format!("{:>19}", e.size),
            (false, true) => format!("{:>7}", "-"),
            (false, false) => rounded(e.size),
        };
        page.push_str(&size);
        page.push_str("\r\n");
    }
    page.push_str("</pre><hr></body>\r\n</html>\r\n");
    page
}

fn escape_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn json(entries: &[Entry]) -> String {
    let items: Vec<String> = entries
        .iter()
        .map(|e| {
            let mtime = httpdate::fmt_http_date(e.mtime);
            let name = escape_json(&e.name);
            if e.dir {
                format!("{{ \"name\":\"{name}\", \"type\":\"directory\", \"mtime\":\"{mtime}\" }}")
            } else {
                format!(
                    "{{ \"name\":\"{name}\", \"type\":\"file\", \"mtime\":\"{mtime}\", \"size\":{} }}",
                    e.size
                )
            }
        })
        .collect();
    if items.is_empty() {
        return "[\r\n]".to_string();
    }
    format!("[\r\n{}\r\n]", items.join(",\r\n"))
}

/// `2026-11-21T07:42:14Z`.
fn iso(t: SystemTime) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let http = httpdate::fmt_http_date(t);
    let p: Vec<&str> = http.split(' ').collect();
    match p.as_slice() {
        [_, d, m, y, hms, _] => {
            let month = MONTHS.iter().position(|x| x == m).unwrap_or(0) + 1;
            format!("{y}-{month:02}-{d}T{hms}Z")
        }
        _ => http,
    }
}

fn xml(entries: &[Entry]) -> String {
    let mut out = String::from("<?xml version=\"1.0\"?>\r\n<list>\r\n");
    for e in entries {
        let name = escape_html(&e.name);
        let mtime = iso(e.mtime);
        if e.dir {
            out.push_str(&format!(
                "<directory mtime=\"{mtime}\">{name}</directory>\r\n"
            ));
        } else {
            out.push_str(&format!(
                "<file mtime=\"{mtime}\" size=\"{}\">{name}</file>\r\n",
                e.size
            ));
        }
    }
    out.push_str("</list>\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounded_sizes_are_nginx_s() {
        assert_eq!(rounded(9999), "   9999");
        assert_eq!(rounded(10000), "    10K");
        assert_eq!(rounded(1_572_864), "     2M");
        assert_eq!(rounded(1_600_000), "     2M");
        assert_eq!(rounded(1_500_000), "     1M");
    }
}
