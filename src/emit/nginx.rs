//! The nginx emitter (not written yet: `AVAILABLE` is false and `lbc convert` refuses the target).

use super::Emitter;
use crate::ir::Ir;

pub const AVAILABLE: bool = false;

/// Writes `ir` as nginx configuration.
pub fn emit(_ir: &Ir, _e: &mut Emitter) {}
