//! Rules the HAProxy front-end reports while parsing.

use crate::declare_rule;
use crate::rules::first_line;

declare_rule! {
    /// A syntax error: HAProxy would refuse to load the file.
    ///
    /// ## What it does
    /// Reads every line the way HAProxy's `parse_line()` does and reports what it rejects: a
    /// quote left open at the end of a line, a `\x` escape without two hexadecimal digits, a
    /// `$` inside double quotes that starts no environment variable (`"$1"`), an unclosed
    /// `${`, more than 64 words on a line, keywords before the first section header, and a
    /// last line without its newline. Parsing goes on at the next line, so one typo does not
    /// hide the rest.
    ///
    /// ## Why is this bad?
    /// `haproxy -c` fails, e.g. `unknown keyword 'Haproxy' out of section` for a title pasted
    /// above `global`, or `Missing LF on last line, file might have been truncated`.
    ///
    /// ## Example
    /// ```haproxy
    /// Haproxy L4
    /// global
    ///     log "127.0.0.1 local0
    /// ```
    /// ## Use instead
    /// ```haproxy
    /// # Haproxy L4
    /// global
    ///     log 127.0.0.1 local0
    /// ```
    pub SYNTAX, "haproxy/syntax", Error, None
}
