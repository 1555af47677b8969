use lbc::syntax::nginx::parse;
#[test]
fn scratch() {
    let mut n = 0;
    for e in std::fs::read_dir("../shared/corpus/nginx").unwrap() {
        let p = e.unwrap().path();
        let src = match std::fs::read_to_string(&p) { Ok(s) => s, Err(_) => { println!("NONUTF8 {}", p.display()); continue } };
        let t = parse(&src);
        n += 1;
        for err in &t.errors {
            let line = src[..err.range.start as usize].matches('\n').count() + 1;
            println!("{}:{}: {}", p.file_name().unwrap().to_string_lossy(), line, err.message);
        }
    }
    for e in std::fs::read_dir("../shared/seeds/nginx").unwrap() {
        let p = e.unwrap().path();
        let src = std::fs::read_to_string(&p).unwrap();
        let t = parse(&src);
        for err in &t.errors {
            let line = src[..err.range.start as usize].matches('\n').count() + 1;
            println!("SEED {}:{}: {} | {:?}", p.file_name().unwrap().to_string_lossy(), line, err.message, err.help);
        }
    }
    println!("{n} files");
}
