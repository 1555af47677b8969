//! PLACEHOLDER until the real table lands.
pub type Ctx = u32;
pub const MAIN: Ctx = 1 << 0;
pub const EVENTS: Ctx = 1 << 1;
pub const HTTP: Ctx = 1 << 2;
pub const HTTP_SRV: Ctx = 1 << 3;
pub const HTTP_LOC: Ctx = 1 << 4;
pub const HTTP_UPS: Ctx = 1 << 5;
pub const HTTP_SIF: Ctx = 1 << 6;
pub const HTTP_LIF: Ctx = 1 << 7;
pub const HTTP_LMT: Ctx = 1 << 8;
pub const STREAM: Ctx = 1 << 9;
pub const STREAM_SRV: Ctx = 1 << 10;
pub const STREAM_UPS: Ctx = 1 << 11;
pub const MAIL: Ctx = 1 << 12;
pub const MAIL_SRV: Ctx = 1 << 13;
pub const HTTP_MAP: Ctx = 1 << 14;
pub const ANY_CTX: Ctx = (1 << 15) - 1;
pub type Arity = u32;
pub const ANY: Arity = 1 << 10;
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirectiveSpec { pub name: &'static str, pub contexts: Ctx, pub arity: Arity, pub module: &'static str }
pub static DIRECTIVES: &[DirectiveSpec] = &[];
pub fn lookup(name: &str) -> &'static [DirectiveSpec] { let _ = name; &[] }
pub fn arity_accepts(arity: Arity, n: usize) -> bool { let _ = (arity, n); true }
pub fn names() -> impl Iterator<Item = &'static str> { DIRECTIVES.iter().map(|d| d.name) }
pub fn describe_contexts(ctx: Ctx) -> String { format!("{ctx}") }
