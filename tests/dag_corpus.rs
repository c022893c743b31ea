//! Multi-document task YAML (pipelines and job groups) against the values
//! recorded from SkyPilot 0.14.1 (`tests/fixtures/corpus/expected/multi`).

use std::path::{Path, PathBuf};

use stix::spec::dag::{self, DagSpec, Notice};
use stix::spec::job_group;
use stix::yaml::{Value, json_to_value};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus")
}

/// Sorts `resources.any_of` (a set in SkyPilot, recorded sorted).
fn normalized(mut v: Value) -> Value {
    if let Value::Map(m) = &mut v {
        for (k, res) in m.0.iter_mut() {
            if k.as_str() != Some("resources") {
                continue;
            }
            if let Value::Map(r) = res {
                for (rk, items) in r.0.iter_mut() {
                    if let (Some("any_of"), Value::Seq(list)) = (rk.as_str(), items) {
                        list.sort_by_key(Value::py_repr);
                    }
                }
            }
        }
    }
    v
}

fn check_error(stem: &str, what: &str, want: &serde_json::Value, got: &stix::Error, dir: &Path) {
    let message = got.message.replace(&dir.display().to_string(), "<TMPDIR>");
    let mro: Vec<&str> = want["mro"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c.as_str()).collect())
        .unwrap_or_default();
    if mro.contains(&"YAMLError") {
        return; // stix raises ValueError with its own parser's wording.
    }
    if want["type"] == "AttributeError" {
        assert!(
            message.contains("must be a mapping of task fields"),
            "{stem} {what}: {message}"
        );
        return;
    }
    assert_eq!(
        message,
        want["message"].as_str().unwrap_or(""),
        "{stem} {what}"
    );
    let kind = got.kind.python_name();
    let want_type = want["type"].as_str().unwrap_or("");
    assert!(
        mro.contains(&kind) || (want_type == "UnicodeDecodeError" && kind == "ValueError"),
        "{stem} {what}: {kind} not in {mro:?}"
    );
}

fn check_dag(stem: &str, what: &str, want: &serde_json::Value, dag: &DagSpec) {
    let ctx = format!("{stem} {what}");
    assert_eq!(dag.name, json_to_value(&want["dag_name"]), "{ctx}");
    assert_eq!(
        dag.execution.map(|e| e.as_str()),
        want["execution"].as_str(),
        "{ctx}"
    );
    assert_eq!(
        dag.tasks.len() as u64,
        want["len"].as_u64().unwrap_or(0),
        "{ctx}"
    );
    assert_eq!(dag.is_chain(), want["is_chain"] == true, "{ctx}");
    assert_eq!(dag.is_job_group(), want["is_job_group"] == true, "{ctx}");
    let primary = dag.primary_tasks.as_ref().map_or(Value::Null, |p| {
        Value::Seq(p.iter().map(|s| Value::Str(s.clone())).collect())
    });
    assert_eq!(primary, json_to_value(&want["primary_tasks"]), "{ctx}");
    let delay = dag
        .termination_delay
        .as_ref()
        .map_or(Value::Null, |t| t.to_value());
    assert_eq!(delay, json_to_value(&want["termination_delay"]), "{ctx}");
    assert_eq!(
        dag.inter_connection,
        want["inter_connection"].as_bool(),
        "{ctx}"
    );
    let edges: Vec<(usize, usize)> = want["edges"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    (
                        e[0].as_u64().unwrap_or(0) as usize,
                        e[1].as_u64().unwrap_or(0) as usize,
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(dag.edges, edges, "{ctx}");
    let tasks = want["tasks"].as_array().cloned().unwrap_or_default();
    for (task, want_task) in dag.tasks.iter().zip(&tasks) {
        assert_eq!(task.name.as_deref(), want_task["name"].as_str(), "{ctx}");
        assert_eq!(
            task.repr(),
            want_task["repr"].as_str().unwrap_or(""),
            "{ctx}"
        );
        assert_eq!(
            normalized(Value::Map(task.to_yaml_config(false))),
            normalized(json_to_value(&want_task["to_yaml_config"])),
            "{ctx}"
        );
    }
}

fn check_result(
    stem: &str,
    what: &str,
    want: &serde_json::Value,
    got: &stix::Result<DagSpec>,
    dir: &Path,
) {
    match (want["ok"].as_bool(), got) {
        (Some(true), Ok(dag)) => check_dag(stem, what, want, dag),
        (Some(false), Err(e)) => check_error(stem, what, &want["error"], e, dir),
        (_, Ok(_)) => panic!("{stem} {what}: stix loaded what SkyPilot rejected"),
        (_, Err(e)) => panic!("{stem} {what}: {e}"),
    }
}

#[test]
fn multi_document_corpus_matches_skypilot() {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(corpus().join("multi"))
        .expect("corpus dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 60, "corpus has {} files", paths.len());
    // Outside any git repository, as recorded (no git_commit metadata).
    let dir = std::env::temp_dir().join(format!("stix-dag-corpus-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    for src in paths {
        let stem = src.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        let expected_text =
            std::fs::read_to_string(corpus().join("expected/multi").join(format!("{stem}.json")))
                .expect("expected json");
        let want: serde_json::Value = serde_json::from_str(&expected_text).expect("json");
        let path = dir.join(src.file_name().unwrap_or_default());
        std::fs::copy(&src, &path).expect("copy");
        let p = path.to_str().unwrap_or("");

        match (&want["is_job_group_yaml"], job_group::is_job_group_yaml(p)) {
            (serde_json::Value::Bool(b), Ok(got)) => assert_eq!(*b, got, "{stem}"),
            (w, Err(e)) => check_error(stem, "is_job_group", &w["error"], &e, &dir),
            (_, Ok(_)) => panic!("{stem}: is_job_group_yaml should fail"),
        }
        let chain = dag::load_chain_yaml(p, &[], &[]);
        check_result(stem, "chain", &want["chain"], &chain, &dir);
        let mut log = Vec::new();
        let group = job_group::load_job_group_yaml(p, &[], &[], &mut log);
        check_result(stem, "job_group", &want["job_group"], &group, &dir);
        let logged: String = log
            .iter()
            .map(|n| match n {
                Notice::Info(m) | Notice::Warning(m) => format!("{m}\n"),
            })
            .collect();
        assert_eq!(logged, want["log"].as_str().unwrap_or(""), "{stem} log");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
