//! lbc: one IR for nginx, HAProxy, keepalived and LVS.
//!
//! The pipeline: [`source`] loads files → [`syntax`] parses each format into a lossless tree →
//! `lower` maps trees onto the [`ir`] → [`rules`] check it and `emit` writes any format.

pub mod cli;
pub mod diagnostic;
pub mod emit;
pub mod fmt;
pub mod hash;
pub mod ir;
pub mod load;
pub mod matcher;
pub mod par;
pub mod rules;
pub mod serve;
pub mod source;
pub mod syntax;
pub mod timings;
