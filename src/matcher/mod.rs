//! Request matching shared by the rules and the runtime: sets of URIs described by nginx
//! locations, with exact inclusion tests.

pub mod uri_lang;
