//! The nginx grammar on the constructs real configs use: each case is a source and the
//! directive names/arguments nginx would read, or the syntax errors it would report.

use lbc::syntax::nginx::cst::{Body, Directive, Item};
use lbc::syntax::nginx::parse;

/// `name arg arg { child … }` as a compact string, to compare trees in one line.
fn dump(src: &str) -> String {
    fn one(src: &str, d: &Directive, out: &mut Vec<String>) {
        let mut s = d.name.value(src);
        for a in &d.args {
            s.push_str(&format!(" [{}]", a.value(src)));
        }
        match &d.body {
            Body::Semi(_) => out.push(s),
            Body::Raw(r) => out.push(format!("{s} RAW({})", r.len())),
            Body::Block(b) => {
                let mut inner = Vec::new();
                for i in &b.items {
                    match i {
                        Item::Directive(c) => one(src, c, &mut inner),
                        Item::Error(_) => inner.push("ERROR".into()),
                    }
                }
                out.push(format!("{s} {{ {} }}", inner.join("; ")));
            }
        }
    }
    let tree = parse(src);
    assert!(
        tree.errors.is_empty(),
        "unexpected errors in {src:?}: {:?}",
        tree.errors
    );
    let mut out = Vec::new();
    for i in &tree.items {
        if let Item::Directive(d) = i {
            one(src, d, &mut out);
        }
    }
    out.join("; ")
}

#[test]
fn grammar_cases() {
    let cases: &[(&str, &str)] = &[
        ("listen 80;", "listen [80]"),
        (
            r#"add_header X "a \"b\" c";"#,
            r#"add_header [X] [a "b" c]"#,
        ),
        (r"return 200 'it\'s';", "return [200] [it's]"),
        ("set $a ${host}x;", "set [$a] [${host}x]"),
        (
            r#"location ~ "^/a{2,3}$" { }"#,
            "location [~] [^/a{2,3}$] {  }",
        ),
        ("location ~/vod/ { }", "location [~/vod/] {  }"),
        (
            r"location ~* \.(gif|jpg)$ { expires 1d; }",
            r"location [~*] [\.(gif|jpg)$] { expires [1d] }",
        ),
        (
            "if ($http_user_agent ~ MSIE) { return 403; }",
            "if [($http_user_agent] [~] [MSIE)] { return [403] }",
        ),
        (r#"if ($a = "b") { }"#, r#"if [($a] [=] [b] [)] {  }"#),
        (
            "map $uri $x { default 0; ~^/a 1; }",
            "map [$uri] [$x] { default [0]; ~^/a [1] }",
        ),
        (
            "types { text/html html htm; }",
            "types { text/html [html] [htm] }",
        ),
        ("a b#c;", "a [b#c]"),
        ("a; # comment\nb;", "a; b"),
        (
            "content_by_lua_block { local t = {1, 2} ngx.say('}') }",
            "content_by_lua_block RAW(33)",
        ),
        (
            "set_by_lua_block $x { return \"{\" }",
            "set_by_lua_block [$x] RAW(14)",
        ),
        ("a 1;\r\nb 2;\r\n", "a [1]; b [2]"),
        ("\u{FEFF}worker_processes 1;", "worker_processes [1]"),
        (
            "log_format main '$a'\n    '$b';",
            "log_format [main] [$a] [$b]",
        ),
        (
            "rewrite ^/(\\d+)/x$ /y?id=$1 last;",
            "rewrite [^/(\\d+)/x$] [/y?id=$1] [last]",
        ),
    ];
    for (src, want) in cases {
        assert_eq!(&dump(src), want, "source: {src:?}");
    }
}

#[test]
fn lossless_tokens() {
    for src in [
        "a 'b' \"c\" {\r\n d; # x\n}\n",
        "\u{FEFF}x;",
        "a \"unterminated\nb;",
    ] {
        let tree = parse(src);
        let rebuilt: String = tree.tokens.iter().map(|t| t.text(src)).collect();
        assert_eq!(rebuilt, src);
    }
}

#[test]
fn errors_recover_and_point_right() {
    let cases: &[(&str, &[&str])] = &[
        ("a {\n  b c\n}\nd;", &["unexpected `}`, expecting `;`"]),
        ("}\na;", &["unexpected `}`: no block is open here"]),
        (
            "a {\n  b {\n  c;\n}\n",
            &["unexpected end of file, expecting `}`: `b` is never closed"],
        ),
        ("a \"x;\nb;\n", &["unterminated string: no closing \""]),
        (
            "a {\n  b;\n",
            &["unexpected end of file, expecting `}`: `a` is never closed"],
        ),
        ("x y", &["unexpected end of file, expecting `;` or `}`"]),
        ("; a;", &["unexpected `;`: a directive name is missing"]),
    ];
    for (src, want) in cases {
        let tree = parse(src);
        let got: Vec<&str> = tree.errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(&got, want, "source: {src:?}");
    }
    // Recovery: the directive after an error is still in the tree.
    let src = "a {\n  b c\n}\nd;";
    let tree = parse(src);
    assert!(tree.directives().any(|d| d.name.value(src) == "d"));
}
