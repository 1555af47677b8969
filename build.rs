//! Build script: generates the LALRPOP parsers from `grammars/`.
fn main() {
    lalrpop::Configuration::new()
        .set_in_dir("grammars")
        .emit_rerun_directives(true)
        .process()
        .expect("lalrpop grammars must compile");
}
