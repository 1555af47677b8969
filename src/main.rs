//! The `lbc` binary: parses the command line and hands over to [`lbc::cli`].

// Config checks allocate many small nodes; mimalloc is markedly faster at that than glibc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(lbc::cli::run(std::env::args_os()));
}
