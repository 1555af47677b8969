//! The keepalived front-end: lexer, line preprocessing and lossless syntax tree, parser,
//! keyword tables and lowering to the IR (VRRP instances and scripts, IPVS virtual services).

pub mod cst;
pub mod keywords;
pub mod lexer;
pub mod lower;
mod lower_lvs;
mod lower_vrrp;
pub mod parser;

pub use lower::{lower, Lowered};
pub use parser::parse;

/// Whether this front-end can read files.
pub const AVAILABLE: bool = true;
