//! Rules the keepalived front-end reports while parsing and lowering.

use crate::declare_rule;
use crate::rules::first_line;

declare_rule! {
    /// A syntax error: keepalived would misread the file.
    ///
    /// ## What it does
    /// Reports what keepalived's line reader cannot make sense of: an unterminated `"`, a `}`
    /// that closes nothing, a block never closed, a `{` after a keyword that takes no block
    /// (or none after one that needs it), an invalid number or value, and an `include` that
    /// matches no file (a warning: keepalived skips it silently). Parsing goes on after each
    /// error.
    ///
    /// ## Why is this bad?
    /// keepalived does not stop at these: it ignores the line, or a stray brace silently closes
    /// the enclosing block, and the rest of the file is read in the wrong block.
    ///
    /// ## Example
    /// ```text
    /// vrrp_instance VI_1 {
    ///     state MASTER {
    /// }
    /// ```
    /// ## Use instead
    /// ```text
    /// vrrp_instance VI_1 {
    ///     state MASTER
    /// }
    /// ```
    pub SYNTAX, "keepalived/syntax", Error, None
}

declare_rule! {
    /// A keyword keepalived does not know in the block where it is written.
    ///
    /// ## What it does
    /// Checks every keyword against the keywords of its block, as keepalived 2.2.7 accepts
    /// them (`global_defs`, `vrrp_instance`, `virtual_server`, `real_server`, each checker
    /// …), and suggests the closest one (`smtp_connection_timeout` → `smtp_connect_timeout`).
    /// A non-ASCII word right under a comment is reported as what it usually is: the end of a
    /// comment wrapped onto a line of its own.
    ///
    /// ## Why is this bad?
    /// keepalived logs `Unknown keyword` and ignores the line: the setting you wrote has no
    /// effect.
    ///
    /// ## Example
    /// ```text
    /// global_defs {
    ///     smtp_connection_timeout 30
    /// }
    /// ```
    /// ## Use instead
    /// ```text
    /// global_defs {
    ///     smtp_connect_timeout 30
    /// }
    /// ```
    pub UNKNOWN_KEYWORD, "keepalived/unknown-keyword", Error, None
}
