//! Build script: generates the LALRPOP parsers from `grammars/`.
fn main() {
    // A grammar added to the directory must re-run the script, not only edits to known ones.
    println!("cargo:rerun-if-changed=grammars");
    lalrpop::Configuration::new()
        .set_in_dir("grammars")
        .emit_rerun_directives(true)
        .process()
        .expect("lalrpop grammars must compile");
}
