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

declare_rule! {
    /// What HAProxy's reader itself says: its `.notice`, `.warning`, `.alert` and `.diag`
    /// messages, and conditional blocks it cannot read.
    ///
    /// ## What it does
    /// Reads the file as HAProxy 2.6 does before any section sees a line: environment
    /// variables in double quotes expanded (after the `setenv`, `presetenv`, `unsetenv` and
    /// `resetenv` lines of `global` seen so far), `.if`/`.elif`/`.else`/`.endif` conditions
    /// evaluated (`defined()`, `feature()`, `streq()`, `strneq()`, `strstr()`,
    /// `version_atleast()`, `version_before()`, `openssl_version_atleast()`,
    /// `openssl_version_before()`, `ssllib_name_startswith()`, `enabled()`, numbers, `!`,
    /// `&&`, `||`, parentheses), answering as Debian's HAProxy 2.6 build. The lines of a
    /// branch not taken are not read (nor linted). `.notice` and `.diag` are reported as
    /// information, `.warning` as a warning, `.alert` as an error, as are an unknown
    /// predicate, an `.else` or `.endif` without its `.if`, and a `.if` never closed.
    ///
    /// ## Why is this bad?
    /// `.alert` makes `haproxy -c` fail on purpose (a configuration guarding against a wrong
    /// version or environment); a malformed block fails it by accident.
    ///
    /// ## Example
    /// ```haproxy
    /// global
    /// .if !defined(BACKEND_ADDR)
    ///     .alert "BACKEND_ADDR is not set"
    /// .endif
    /// ```
    /// ## Use instead
    /// Set the environment variable (or give a default: `"${BACKEND_ADDR-127.0.0.1:8080}"`).
    pub READER, "haproxy/reader", Warning, None
}
