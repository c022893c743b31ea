//! Property tests: the multi-document loaders never panic, and what the
//! YAML dumper writes loads back to the same value. Run longer with
//! `PROPTEST_CASES=100000 cargo test --test fuzz_dag`.

use proptest::prelude::*;
use stix::spec::{dag, job_group};
use stix::yaml::{Map, Value, dump_yaml_all_str, dump_yaml_str, load_all_lenient, safe_dump};

const WORDS: &[&str] = &[
    "name: g\n",
    "execution: parallel\n",
    "execution: serial\n",
    "primary_tasks: [a]\n",
    "termination_delay: 30s\n",
    "termination_delay: {default: 1m, a: 2}\n",
    "inter_connection: true\n",
    "name: a\n",
    "name: b\n",
    "run: echo\n",
    "num_nodes: 2\n",
    "envs: {A: 1}\n",
    "---\n",
    "- x\n",
    "5\n",
    "name: [a]\n",
    "name: 7\n",
    "{}\n",
    "\n",
];

fn multi_doc() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(WORDS), 0..16).prop_map(|w| w.concat())
}

/// Characters that steer the emitter through every scalar style.
fn tricky_string() -> impl Strategy<Value = String> {
    let chars = prop::sample::select(vec![
        'a', 'Z', '0', '9', ' ', ' ', '\n', '\t', '\'', '"', ':', '#', '-', '?', '[', '{', ',',
        '&', '*', '!', '|', '>', '%', '@', '`', '.', '~', '\\', 'é', '😀', '\u{85}', '\u{2028}',
        '\u{a0}', '\u{feff}', '\0', '\r',
    ]);
    prop::collection::vec(chars, 0..120).prop_map(|c| c.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn dag_loaders_never_panic(text in multi_doc()) {
        let _ = dag::load_chain_yaml_str(&text, &[], &[]);
        let _ = job_group::is_job_group_yaml_str(&text);
        let mut log = Vec::new();
        let _ = job_group::load_job_group_yaml_str(&text, &[], &[], &mut log);
    }

    #[test]
    fn dumped_strings_load_back(key in tricky_string(), value in tricky_string(),
                                items in prop::collection::vec(tricky_string(), 0..4)) {
        let mut m = Map::new();
        m.insert(key.as_str(), value.as_str());
        m.insert("list", Value::Seq(items.into_iter().map(Value::Str).collect()));
        let doc = Value::Map(m);
        let text = dump_yaml_str(&doc);
        let back = load_all_lenient(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(back, vec![doc.clone()], "{}", text);
        let two = dump_yaml_all_str(&[doc.clone(), doc.clone()]);
        let back = load_all_lenient(&two).map_err(|e| TestCaseError::fail(format!("{e}\n{two}")))?;
        prop_assert_eq!(back, vec![doc.clone(), doc], "{}", two);
        // A root scalar only round-trips without SkyPilot's blank lines
        // (they land inside a folded scalar, in PyYAML too).
        let root = safe_dump(&Value::Str(value.clone()));
        let back = load_all_lenient(&root).map_err(|e| TestCaseError::fail(format!("{e}\n{root}")))?;
        prop_assert_eq!(back, vec![Value::Str(value)], "{}", root);
    }
}
