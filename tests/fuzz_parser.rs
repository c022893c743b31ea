//! Property test: no input makes the YAML/Task parser panic. Run longer
//! with `PROPTEST_CASES=100000 cargo test --test fuzz_parser`.

use proptest::prelude::*;
use stix::spec::Task;

/// Fragments that steer random text towards real task YAML.
const WORDS: &[&str] = &[
    "name",
    "run",
    "setup",
    "resources",
    "accelerators",
    "cpus",
    "memory",
    "infra",
    "any_of",
    "ordered",
    "file_mounts",
    "envs",
    "secrets",
    "service",
    "pool",
    "num_nodes",
    "ports",
    "autostop",
    "image_id",
    "disk_size",
    "job_recovery",
    "workdir",
    "volumes",
    "config",
    "A100:8",
    "4+",
    "aws/us-east-1",
    "k8s/ctx",
    "{",
    "}",
    "[",
    "]",
    ":",
    "- ",
    "\n",
    "  ",
    "&a",
    "*a",
    "<<",
    "!!str",
    "'",
    "\"",
    "~",
    "1e3",
    "0x1F",
    "-1",
    "2.5",
    "true",
    "null",
    "---",
    "...",
    "#",
    "|",
    ">",
];

fn yamlish() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(WORDS), 0..60).prop_map(|w| w.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn task_parser_never_panics(text in yamlish()) {
        let _ = Task::from_yaml_str(&text);
    }

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,200}") {
        let _ = Task::from_yaml_str(&text);
        let _ = stix::yaml::load_all(&text);
    }

    #[test]
    fn valid_tasks_round_trip(n in 1i64..64, cpus in 1u32..96, spot in any::<bool>()) {
        let text = format!("num_nodes: {n}\nresources:\n  cpus: {cpus}+\n  use_spot: {spot}\nrun: echo hi\n");
        let task = Task::from_yaml_str(&text).unwrap();
        let mut again = task.to_yaml_config(false);
        again.remove("_user_specified_yaml");
        let reloaded = Task::from_yaml_config(again.clone(), &[], &[]).unwrap();
        let mut round = reloaded.to_yaml_config(false);
        round.remove("_user_specified_yaml");
        prop_assert_eq!(round, again);
    }
}
