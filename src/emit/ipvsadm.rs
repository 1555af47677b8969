//! The ipvsadm emitter (not written yet: `AVAILABLE` is false and `lbc convert` refuses the target).

use super::Emitter;
use crate::ir::Ir;

pub const AVAILABLE: bool = false;

/// Writes `ir` as an `ipvsadm-restore` file, or as a commented shell script when `script`.
pub fn emit(_ir: &Ir, _e: &mut Emitter, _script: bool) {}
