//! LVS rules: ipvsadm scripts, rules files and listings.

mod dr_port_mismatch;
mod duplicate_real_server;
mod frontend;
mod unknown_scheduler;

use super::Rule;

pub static RULES: &[&Rule] = &[
    &frontend::SYNTAX,
    &unknown_scheduler::UNKNOWN_SCHEDULER,
    &dr_port_mismatch::DR_PORT_MISMATCH,
    &duplicate_real_server::DUPLICATE_REAL_SERVER,
];
