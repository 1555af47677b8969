//! Rules the LVS front-end reports while parsing and evaluating.

use crate::declare_rule;
use crate::rules::first_line;

declare_rule! {
    /// A shell syntax error, or an ipvsadm call ipvsadm would refuse.
    ///
    /// ## What it does
    /// Reports, in LVS scripts and rules files:
    /// - shell syntax errors in the subset lbc reads: an unterminated quote, a `case` without
    ///   `esac`, an `if` without `fi`, a `|` or `&&` with nothing after it;
    /// - ipvsadm calls ipvsadm rejects before touching the kernel: an unknown option, an option
    ///   without its value, two commands in one call, an option the command does not take
    ///   (`-s` with `-a`), a bad address, port, weight or firewall mark, a zero port on a
    ///   service that is not persistent;
    /// - calls the kernel rejects given the calls before them (as warnings): `-A` of a service
    ///   that exists, `-a`/`-e`/`-d` on a service or server that does not;
    /// - ipvsadm calls lbc cannot evaluate (as warnings): inside a loop or an `if`, using a
    ///   variable lbc cannot know, reading rules from standard input;
    /// - in `ipvsadm -L` listings, lines that are cut short or not understood (as warnings).
    ///
    /// ## Why is this bad?
    /// A script that fails half-way leaves the director with part of its table: some real
    /// servers get no traffic, or a service is missing altogether.
    ///
    /// ## Example
    /// ```sh
    /// ipvsadm -A -t 10.0.0.10:80 -s wrr
    /// ipvsadm -a -t 10.0.0.10:80 -r 10.0.0.21:80 -g -w
    /// ```
    /// ## Use instead
    /// ```sh
    /// ipvsadm -A -t 10.0.0.10:80 -s wrr
    /// ipvsadm -a -t 10.0.0.10:80 -r 10.0.0.21:80 -g -w 1
    /// ```
    pub SYNTAX, "lvs/syntax", Error, None
}
