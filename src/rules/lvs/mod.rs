//! LVS rules: ipvsadm scripts, rules files and listings.

mod dr_port_mismatch;
mod duplicate_real_server;
mod frontend;
pub(crate) mod scheduler_mismatch;
mod unknown_scheduler;
mod vip_mismatch;

use super::Rule;

pub static RULES: &[&Rule] = &[
    &frontend::SYNTAX,
    &unknown_scheduler::UNKNOWN_SCHEDULER,
    &dr_port_mismatch::DR_PORT_MISMATCH,
    &duplicate_real_server::DUPLICATE_REAL_SERVER,
    &scheduler_mismatch::SCHEDULER_MISMATCH,
    &vip_mismatch::VIP_MISMATCH,
];
