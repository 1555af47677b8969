//! The LVS front-end (ipvsadm scripts, `ipvsadm-save` output and `ipvsadm -L -n` listings) (not implemented yet: `AVAILABLE` is false and `load` refuses the format).

use crate::diagnostic::Diagnostic;
use crate::ir::Ir;
use crate::source::{FileId, SourceMap};

/// Whether this front-end can read files; `load` reports the format as unsupported otherwise.
pub const AVAILABLE: bool = false;

/// What the front-end keeps for rules besides the IR.
pub struct Lowered {
    pub file: FileId,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses `file` and lowers it into `ir`.
pub fn lower(_sources: &mut SourceMap, file: FileId, _ir: &mut Ir) -> Lowered {
    Lowered {
        file,
        diagnostics: Vec::new(),
    }
}
