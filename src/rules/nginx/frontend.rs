//! Rules the nginx front-end reports while parsing and following includes.

use crate::declare_rule;
use crate::rules::first_line;

declare_rule! {
    /// A syntax error: nginx would refuse to load the file.
    ///
    /// ## What it does
    /// Reports every place where the file is not valid nginx syntax: an unterminated string, a
    /// directive without its `;`, a `}` that closes nothing, a block left open at the end of the
    /// file. Parsing goes on after each error, so one typo does not hide the rest.
    ///
    /// When a block is never closed, nginx only says `unexpected end of file, expecting "}"`;
    /// lbc uses the indentation to name the block that lost its brace.
    ///
    /// ## Example
    /// ```nginx
    /// server {
    ///     location / {
    ///         proxy_pass http://app;
    /// }
    /// ```
    /// ## Use instead
    /// ```nginx
    /// server {
    ///     location / {
    ///         proxy_pass http://app;
    ///     }
    /// }
    /// ```
    pub SYNTAX, "nginx/syntax", Error, None
}

declare_rule! {
    /// An `include` names a file that does not exist.
    ///
    /// ## What it does
    /// Resolves every `include` the way nginx does (relative paths against the configuration
    /// prefix, which is the main file's directory unless `--prefix` says otherwise; globs may
    /// match nothing) and reports files that cannot be read. The severity depends on the path:
    /// an error for a relative path, a warning for an absolute path missing on this machine,
    /// and info for files nginx ships itself (`mime.types`, `fastcgi_params`, …).
    ///
    /// ## Why is this bad?
    /// `nginx -t` fails with `open() "…" failed (2: No such file or directory)`.
    pub INCLUDE_NOT_FOUND, "nginx/include-not-found", Error, None
}

declare_rule! {
    /// An `include` leads back to a file that is already being included.
    ///
    /// ## What it does
    /// Follows includes depth-first and reports an include of a file that is on the current
    /// include chain, with the whole chain in the message.
    ///
    /// ## Why is this bad?
    /// nginx has no cycle detection: it recurses until it runs out of file descriptors.
    pub INCLUDE_CYCLE, "nginx/include-cycle", Error, None
}
