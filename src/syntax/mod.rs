//! Syntax layers, one folder per format: source text to lossless trees, and lowering to the IR.

pub mod haproxy;
pub mod keepalived;
pub mod lvs;
pub mod nginx;
pub mod text;
