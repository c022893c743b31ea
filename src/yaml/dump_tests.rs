//! Expected texts recorded from PyYAML through SkyPilot 0.14.1's
//! `yaml_utils.dump_yaml_str` (see `expected/_dag_api.json`, `dump_*`).

use super::*;
use crate::yaml::{Map, load};

fn map(pairs: &[(&str, Value)]) -> Value {
    Value::Map(Map(pairs
        .iter()
        .map(|(k, v)| (Value::from(*k), v.clone()))
        .collect()))
}

fn s(text: &str) -> Value {
    Value::from(text)
}

#[test]
fn scalars() {
    let doc = map(&[
        ("a", Value::Int(1)),
        ("b", Value::Float(1.5)),
        ("c", Value::Bool(true)),
        ("d", Value::Null),
        ("e", s("x")),
        ("f", Value::Int(-3)),
        ("g", Value::Float(1e20)),
        ("h", Value::Float(0.1)),
        ("i", Value::Float(f64::INFINITY)),
        ("j", Value::Float(f64::NEG_INFINITY)),
        ("k", Value::Float(1e-7)),
        ("l", Value::Float(100.0)),
    ]);
    assert_eq!(
        dump_yaml_str(&doc),
        "a: 1\n\nb: 1.5\n\nc: true\n\nd: null\n\ne: x\n\nf: -3\n\ng: 1.0e+20\n\nh: 0.1\n\n\
         i: .inf\n\nj: -.inf\n\nk: 1.0e-07\n\nl: 100.0\n"
    );
}

#[test]
fn strings_that_would_resolve_otherwise_are_quoted() {
    let cases = [
        ("true", "'true'"),
        ("No", "'No'"),
        ("~", "'~'"),
        ("123", "'123'"),
        ("0x1F", "'0x1F'"),
        ("1e3", "1e3"),
        (".5", "'.5'"),
        ("2020-01-01", "'2020-01-01'"),
        ("=", "'='"),
        ("<<", "'<<'"),
        ("1:20", "'1:20'"),
        ("0o17", "0o17"),
        ("- x", "'- x'"),
        ("-x", "-x"),
        ("a: b", "'a: b'"),
        ("a:b", "a:b"),
        ("a #b", "'a #b'"),
        ("a#b", "a#b"),
        ("it's", "it's"),
        ("'q'", "'''q'''"),
        ("---", "'---'"),
        (" lead", "' lead'"),
        ("tab\tin", "\"tab\\tin\""),
        ("caf\u{e9}", "\"caf\\xE9\""),
        ("emoji\u{1F600}", "\"emoji\\U0001F600\""),
        ("bom\u{feff}", "\"bom\\uFEFF\""),
        ("nbsp\u{a0}", "\"nbsp\\_\""),
    ];
    for (text, want) in cases {
        assert_eq!(
            dump_yaml_str(&map(&[("k", s(text))])),
            format!("k: {want}\n"),
            "{text:?}"
        );
    }
    // Keys: empty and multi-line keys are complex (`? key`).
    assert_eq!(dump_yaml_str(&map(&[("", s("v"))])), "? ''\n\n: v\n");
    assert_eq!(
        dump_yaml_str(&map(&[("multi\nline", s("v"))])),
        "? 'multi\n\n  line'\n\n: v\n"
    );
}

#[test]
fn multiline_strings_are_single_quoted_and_folded() {
    let doc = map(&[
        ("run", s("echo a\necho b\n")),
        ("r2", s("line1\n\nline3")),
        ("r4", s("a \nb")),
        ("r7", s("a\n  b\n")),
        ("r8", s("it's\nmulti")),
    ]);
    assert_eq!(
        dump_yaml_str(&doc),
        "run: 'echo a\n\n  echo b\n\n  '\n\nr2: 'line1\n\n\n  line3'\n\nr4: \"a \\nb\"\n\n\
         r7: \"a\\n  b\\n\"\n\nr8: 'it''s\n\n  multi'\n"
    );
}

#[test]
fn long_lines_fold_at_80_columns() {
    let words: Vec<String> = (0..40).map(|i| format!("word{i}")).collect();
    let got = dump_yaml_str(&map(&[("run", s(&words.join(" ")))]));
    assert_eq!(
        got,
        "run: word0 word1 word2 word3 word4 word5 word6 word7 word8 word9 word10 word11 word12\n  \
         word13 word14 word15 word16 word17 word18 word19 word20 word21 word22 word23 word24\n  \
         word25 word26 word27 word28 word29 word30 word31 word32 word33 word34 word35 word36\n  \
         word37 word38 word39\n"
    );
    let tabs: Vec<String> = (0..30).map(|i| format!("w{i}")).collect();
    assert_eq!(
        dump_yaml_str(&map(&[("t", s(&tabs.join("\t")))])),
        "t: \"w0\\tw1\\tw2\\tw3\\tw4\\tw5\\tw6\\tw7\\tw8\\tw9\\tw10\\tw11\\tw12\\tw13\\tw14\\tw15\\tw16\\tw17\\t\\\n  \
         w18\\tw19\\tw20\\tw21\\tw22\\tw23\\tw24\\tw25\\tw26\\tw27\\tw28\\tw29\"\n"
    );
    let cafe = "caf\u{e9} ".repeat(30);
    assert_eq!(
        dump_yaml_str(&map(&[("s", s(&cafe))])),
        "s: \"caf\\xE9 caf\\xE9 caf\\xE9 caf\\xE9 caf\\xE9 caf\\xE9 caf\\xE9 caf\\xE9 caf\\xE9 caf\\xE9\\\n  \
         \\ caf\\xE9 caf\\xE9 caf\\xE9 caf\\xE9 caf\\xE9 caf\\xE9 caf\\xE9 caf\\xE9 caf\\xE9 caf\\xE9\\\n  \
         \\ caf\\xE9 caf\\xE9 caf\\xE9 caf\\xE9 caf\\xE9 caf\\xE9 caf\\xE9 caf\\xE9 caf\\xE9 caf\\xE9\\\n  \
         \\ \"\n"
    );
}

#[test]
fn nested_collections() {
    let doc = load(
        "a: {b: {c: [1, 2, {d: e, f: [3, [4, 5]]}]}}\nempty_d: {}\nempty_l: []\nl: [[], {}, [[1]], {x: []}]\n",
    )
    .expect("yaml");
    assert_eq!(
        dump_yaml_str(&doc),
        "a:\n  b:\n    c:\n    - 1\n    - 2\n    - d: e\n      f:\n      - 3\n      - - 4\n        - 5\n\n\
         empty_d: {}\n\nempty_l: []\n\nl:\n- []\n- {}\n- - - 1\n- x: []\n"
    );
    // Without SkyPilot's blank lines.
    assert_eq!(
        safe_dump(&load("a: [x, {b: 1}]\nc: 2\n").expect("yaml")),
        "a:\n- x\n- b: 1\nc: 2\n"
    );
}

#[test]
fn documents() {
    let top_list = load("[{a: 1}, {b: [1, 2]}, str, 3, null, [1, [2]]]").expect("yaml");
    let Value::Seq(docs) = top_list else {
        panic!("list")
    };
    assert_eq!(
        dump_yaml_all_str(&docs),
        "a: 1\n---\n\nb:\n- 1\n- 2\n--- str\n--- 3\n--- null\n---\n\n- 1\n\n- - 2\n"
    );
    assert_eq!(dump_yaml_str(&s("just a string")), "just a string\n...\n");
    assert_eq!(dump_yaml_str(&Value::Null), "null\n...\n");
    assert_eq!(dump_yaml_str(&s("")), "''\n");
    assert_eq!(dump_yaml_str(&s("a\nb\n")), "'a\n\n\n\n  b\n\n\n\n  '\n");
    assert_eq!(
        dump_yaml_all_str(&[s("a"), s("b"), Value::Null, s("")]),
        "a\n--- b\n--- null\n--- ''\n"
    );
    assert_eq!(dump_yaml_all_str(&[]), "");
}

#[test]
fn dumped_text_loads_back() {
    let doc = load(
        "name: x\nrun: |\n  echo a\n  echo 'b' \"c\"\nenvs:\n  A: '1'\n  B: 'yes'\nlist: ['', ' ', 'x: y', '#', '- ']\n",
    )
    .expect("yaml");
    assert_eq!(load(&dump_yaml_str(&doc)).expect("reload"), doc);
}
