//! `lbc fmt`: rewrites config files in a canonical layout without changing what the server
//! reads. Only whitespace between tokens changes; every token, comment included, keeps its text.

pub mod haproxy;
pub mod nginx;

use crate::syntax::nginx::cst::SyntaxError;

/// Why a file was not formatted.
#[derive(Debug)]
pub enum FmtError {
    /// The file does not parse; it is left alone.
    Syntax(Vec<SyntaxError>),
    /// The layout would have changed the tokens (a bug in the formatter); nothing is written.
    Internal(String),
}

/// Re-encodes text read with [`crate::source::decode`]: Latin-1 files get one byte per char back.
pub fn encode(text: &str, latin1: bool) -> Vec<u8> {
    if latin1 {
        text.chars().map(|c| c as u32 as u8).collect()
    } else {
        text.as_bytes().to_vec()
    }
}
