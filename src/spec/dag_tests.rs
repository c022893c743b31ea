use super::*;
use crate::spec::job_group::{is_job_group_yaml_str, load_dag_yaml, load_job_group_yaml_str};

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn chain(text: &str) -> DagSpec {
    load_chain_yaml_str(text, &[], &[]).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn chain_err(text: &str) -> Error {
    load_chain_yaml_str(text, &[], &[]).expect_err(text)
}

fn group(text: &str) -> (Result<DagSpec>, Vec<Notice>) {
    let mut log = Vec::new();
    let r = load_job_group_yaml_str(text, &[], &[], &mut log);
    (r, log)
}

fn group_err(text: &str) -> Error {
    group(text).0.expect_err(text)
}

fn names(dag: &DagSpec) -> Vec<Option<&str>> {
    dag.tasks.iter().map(|t| t.name.as_deref()).collect()
}

#[test]
fn pipeline_header_names_the_dag_and_tasks_chain() {
    let dag = chain("name: p\n---\nname: a\nrun: x\n---\nname: b\n---\nrun: y\n");
    assert_eq!(dag.name, Value::from("p"));
    assert_eq!(dag.execution, Some(Execution::Serial));
    assert_eq!(names(&dag), [Some("a"), Some("b"), None]);
    assert_eq!(dag.edges, [(0, 1), (1, 2)]);
    assert!(dag.is_chain() && !dag.is_job_group());
}

#[test]
fn header_forms() {
    // `execution: serial` or null keeps it a header; any other value fails.
    assert_eq!(
        chain("name: p\nexecution: serial\n---\nrun: x\n")
            .tasks
            .len(),
        1
    );
    assert_eq!(
        chain("name: p\nexecution:\n---\nrun: x\n").name,
        Value::from("p")
    );
    assert_eq!(
        chain_err("name: p\nexecution: 1\n---\nrun: x\n").message,
        "Invalid execution mode for pipeline: 1. Pipelines must use execution: serial (or omit it). \
         Use execution: parallel for job groups."
    );
    // A header alone still makes one task, named after the dag.
    let only = chain("name: lonely\n");
    assert_eq!(names(&only), [Some("lonely")]);
    assert_eq!(only.name, Value::from("lonely"));
    // Names of any type are kept as the dag name.
    assert_eq!(
        chain("name: 7\n---\nrun: a\n---\nrun: b\n").name,
        Value::Int(7)
    );
    // More keys than a header: the first document is a task.
    assert_eq!(
        chain_err("name: p\nexecution: serial\nrun: x\n").message,
        "Invalid task YAML: Found unsupported field 'execution'."
    );
}

#[test]
fn single_document_names_the_dag_but_two_do_not() {
    assert_eq!(chain("name: solo\nrun: x\n").name, Value::from("solo"));
    assert_eq!(
        chain("name: a\n---\nname: b\nrun: x\n").name,
        Value::from("a")
    );
    assert!(chain("run: a\n---\nname: b\n").name.is_null());
}

#[test]
fn empty_documents() {
    // No documents at all: one empty task.
    let empty = chain("");
    assert_eq!(empty.tasks.len(), 1);
    assert!(empty.name.is_null());
    // Only empty documents are skipped: no task.
    assert!(chain("---\n").tasks.is_empty());
    let dag = chain("name: p\n---\nrun: a\n---\n---\nrun: b\n");
    assert_eq!(dag.tasks.len(), 2);
    assert_eq!(dag.edges, [(0, 1)]);
}

#[test]
fn non_mapping_documents_are_named() {
    assert_eq!(
        chain_err("5\n").message,
        "Invalid task YAML: document 1 must be a mapping of task fields, got int."
    );
    assert_eq!(
        chain_err("run: a\n---\n- x\n").message,
        "Invalid task YAML: document 2 must be a mapping of task fields, got list."
    );
}

#[test]
fn overrides_apply_to_every_task() {
    let text = "name: p\n---\nenvs:\n  A: null\nfile_mounts:\n  /d: s3://$A\nrun: x\n---\nrun: y\n";
    let env = pairs(&[("A", "bkt"), ("B", "2")]);
    let secrets = pairs(&[("S", "s")]);
    let dag = load_chain_yaml_str(text, &env, &secrets).expect("loads");
    for task in &dag.tasks {
        assert_eq!(task.envs.get("A"), Some(&Value::from("bkt")));
        assert_eq!(task.envs.get("B"), Some(&Value::from("2")));
        assert_eq!(task.secrets.get("S"), Some(&Value::from("s")));
    }
    let mounts = dag.tasks[0].file_mounts.as_ref().expect("mounts");
    assert_eq!(mounts.get("/d"), Some(&Value::from("s3://bkt")));
    // Without the override the null env is an error.
    assert!(
        chain_err(text)
            .message
            .starts_with("Environment variable 'A' is None.")
    );
}

#[test]
fn each_task_keeps_its_document_as_user_yaml() {
    let dag = chain("name: p\n---\nname: a\nresources:\n  accelerators: A100:1\nrun: x\n");
    assert_eq!(
        dag.tasks[0].user_specified_yaml.as_deref(),
        Some("name: a\n\nresources:\n  accelerators: A100:1\n\nrun: x\n")
    );
}

#[test]
fn duplicate_keys_only_fail_from_a_file() {
    assert_eq!(chain("run: a\nrun: b\n").tasks[0].run.as_deref(), Some("b"));
    let strict = read_yaml_all_str("run: a\nrun: b\n", true).expect_err("dup");
    assert!(
        strict
            .message
            .starts_with("Duplicate key 'run' in YAML at line 2")
    );
    // A syntax error elsewhere wins over the duplicate, as in SkyPilot.
    let both = read_yaml_all_str("run: a\nrun: b\n---\nx: [\n", true).expect_err("syntax");
    assert!(
        !both.message.starts_with("Duplicate key"),
        "{}",
        both.message
    );
}

#[test]
fn chain_files() {
    let dir = std::env::temp_dir().join(format!("stix-dag-unit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let write = |name: &str, body: &[u8]| {
        let p = dir.join(name);
        std::fs::write(&p, body).expect("write");
        p.to_string_lossy().into_owned()
    };
    let empty = write("empty.yaml", b"# nothing\n---\n");
    let e = load_chain_yaml(&empty, &[], &[]).expect_err("empty");
    assert_eq!(
        e.message,
        format!(
            "{} is empty or contains no task definition. Add at least a `run:` (or `setup:`) field.",
            py_str_repr(&empty)
        )
    );
    let bad = write("bad.yaml", b"run: \xff\n");
    let e = load_chain_yaml(&bad, &[], &[]).expect_err("utf8");
    assert!(
        e.message
            .ends_with("is not a valid UTF-8 text file and cannot be parsed as YAML.")
    );
    let missing = dir.join("missing.yaml").to_string_lossy().into_owned();
    let e = load_chain_yaml(&missing, &[], &[]).expect_err("missing");
    assert_eq!(e.kind, ErrorKind::FileNotFound);
    assert_eq!(
        e.message,
        format!(
            "[Errno 2] No such file or directory: {}",
            py_str_repr(&missing)
        )
    );
    let ok = write("ok.yaml", b"run: a\n---\nrun: b\n");
    let dag = load_chain_yaml(&ok, &[], &[]).expect("loads");
    assert!(dag.tasks.iter().all(|t| t.metadata.is_empty()));
    // Auto-detection picks the loader the CLI would.
    let mut log = Vec::new();
    assert!(
        !load_dag_yaml(&ok, &[], &[], &mut log)
            .expect("chain")
            .is_job_group()
    );
    let jg = write("jg.yaml", b"name: g\nexecution: parallel\n---\nname: a\n");
    assert!(
        load_dag_yaml(&jg, &[], &[], &mut log)
            .expect("group")
            .is_job_group()
    );
    assert_eq!(log.len(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn chain_files_in_git_record_the_commit() {
    let dir = std::env::temp_dir().join(format!("stix-dag-git-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(&dir)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let committed = git(&["init", "-q"])
        && git(&[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "x",
        ]);
    if !committed {
        return; // No git here: nothing to record.
    }
    let path = dir.join("x.yaml");
    std::fs::write(&path, "run: a\n---\nrun: b\n").expect("write");
    let dag = load_chain_yaml(&path.to_string_lossy(), &[], &[]).expect("loads");
    let head = git_commit(&dir).expect("head");
    assert_eq!(head.len(), 40);
    for task in &dag.tasks {
        assert_eq!(
            task.metadata.get("git_commit"),
            Some(&Value::from(head.as_str()))
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unicode_errors_read_as_python_words_them() {
    let msg = |b: &[u8]| {
        let e = std::str::from_utf8(b).expect_err("bad");
        unicode_error(b, e)
    };
    assert_eq!(
        msg(b"ab\xff"),
        "'utf-8' codec can't decode byte 0xff in position 2: invalid start byte"
    );
    assert_eq!(
        msg(b"\xe2\x28\xa1"),
        "'utf-8' codec can't decode byte 0xe2 in position 0: invalid continuation byte"
    );
    assert_eq!(
        msg(b"a\xf0\x90\x80"),
        "'utf-8' codec can't decode bytes in position 1-3: unexpected end of data"
    );
}

#[test]
fn dag_shapes() {
    let mut dag = chain("run: a\n---\nrun: b\n---\nrun: c\n");
    assert!(dag.is_chain());
    dag.edges.push((0, 2));
    assert!(!dag.is_chain());
    dag.edges = vec![];
    assert!(!dag.is_chain());
    dag.tasks.truncate(1);
    assert!(dag.is_chain());
    dag.tasks.clear();
    assert!(dag.is_chain());
}

#[test]
fn job_group_loads_header_fields() {
    let text = "name: g\nexecution: parallel\nprimary_tasks: [a]\ntermination_delay:\n  default: 30\n  b: 1m\ninter_connection: false\n---\nname: a\nrun: x\n---\nname: b\nrun: y\n";
    assert!(is_job_group_yaml_str(text).expect("ok"));
    let (dag, log) = group(text);
    let dag = dag.expect("loads");
    assert_eq!(dag.name, Value::from("g"));
    assert!(dag.is_job_group() && !dag.is_chain());
    assert_eq!(dag.primary_tasks, Some(vec!["a".to_string()]));
    assert_eq!(
        dag.termination_delay,
        Some(TerminationDelay::PerTask(vec![
            ("default".into(), "30".into()),
            ("b".into(), "1m".into())
        ]))
    );
    assert_eq!(dag.inter_connection, Some(false));
    assert!(dag.edges.is_empty());
    assert_eq!(
        log,
        [Notice::Info(
            "Loaded Job Group \"g\" with 2 jobs: ['a', 'b']".into()
        )]
    );
}

#[test]
fn job_group_rejections() {
    let hdr = "name: g\nexecution: parallel\n";
    let cases: &[(&str, &str)] = &[
        (
            "name: g\nexecution: parallel\n",
            "Job Group YAML must have at least 2 documents: header and at least one job definition.",
        ),
        ("---\n---\nname: a\n", "Job Group header cannot be empty."),
        (
            "execution: parallel\n---\nname: a\n",
            "Job Group header missing required fields: {'name'}",
        ),
        (
            "name: ''\n---\nname: a\n",
            "Invalid job group name: ''. Name must contain only alphanumeric characters, hyphens, and underscores.",
        ),
        (
            "name: g\nexecution: sideways\n---\nname: a\n",
            "Invalid execution mode: sideways. Valid options: ['serial', 'parallel']",
        ),
        (
            "name: g\n---\nname: a\n---\n---\nrun: x\n",
            "Job 3 in Job Group must have a \"name\" field.",
        ),
        (
            "name: g\n---\nname: a b\n",
            "Invalid job name: 'a b'. Name must contain only alphanumeric characters, hyphens, and underscores.",
        ),
        (
            "name: g\n---\nname: a\n---\nname: a\n",
            "Duplicate job name in Job Group: a",
        ),
        (
            "name: g\nprimary_tasks: a\n---\nname: a\n",
            "primary_tasks must be a list of job names, got str",
        ),
        (
            "name: g\nprimary_tasks: [1]\n---\nname: a\n",
            "primary_tasks entries must be strings, got int",
        ),
        (
            "name: g\nprimary_tasks: [z]\n---\nname: b\n---\nname: a\n",
            "primary_tasks references unknown job: z. Available jobs: ['a', 'b']",
        ),
        (
            "name: g\ntermination_delay: 1.5\n---\nname: a\n",
            "termination_delay must be a string, int, or dict, got float",
        ),
        (
            "name: g\ntermination_delay: 30x\n---\nname: a\n",
            "Invalid time duration for termination_delay: '30x'. Expected format: NUMBER[s|m|h|d|w] (e.g., \"30s\", \"5m\", \"1h\")",
        ),
        (
            "name: g\ntermination_delay: {a: 1ss}\n---\nname: a\n",
            "Invalid time duration for termination_delay['a']: '1ss'. Expected format: NUMBER[s|m|h|d|w] (e.g., \"30s\", \"5m\", \"1h\")",
        ),
        (
            "name: g\ntermination_delay: {z: 1s}\n---\nname: a\n",
            "termination_delay references unknown job: z. Available jobs: ['a'] (or \"default\")",
        ),
        (
            "name: g\ntermination_delay: {1: 1s}\n---\nname: a\n",
            "termination_delay dict must have string keys and string/int values, got 1: '1s'",
        ),
        (
            "name: g\ninter_connection: maybe\n---\nname: a\n",
            "inter_connection must be a boolean, got str: 'maybe'",
        ),
    ];
    for (text, want) in cases {
        assert_eq!(group_err(text).message, *want, "{text}");
    }
    let e = group_err("name: 12\n---\nname: a\n");
    assert_eq!(
        (e.kind, e.message.as_str()),
        (ErrorKind::Type, "'int' object is not iterable")
    );
    let e = group_err(&format!("{hdr}---\nname: 5\n"));
    assert_eq!(e.kind, ErrorKind::Type);
    // Task errors come through unchanged.
    assert_eq!(
        group_err(&format!("{hdr}---\nname: a\nnum_nodes: 0\n")).message,
        "num_nodes should be a positive int. Got: 0"
    );
}

#[test]
fn job_group_warns_about_unknown_header_fields_even_on_failure() {
    let (r, log) = group("name: g\nrun: x\n---\nrun: y\n");
    assert!(r.is_err());
    assert_eq!(
        log,
        [Notice::Warning(
            "Unknown fields in Job Group header: {'run'}. These will be ignored.".into()
        )]
    );
}

#[test]
fn job_group_detection() {
    assert!(!is_job_group_yaml_str("").expect("ok"));
    assert!(!is_job_group_yaml_str("name: g\nexecution: parallel\n").expect("ok"));
    assert!(!is_job_group_yaml_str("---\n---\nname: a\n").expect("ok"));
    assert!(!is_job_group_yaml_str("name: g\nexecution: serial\n---\nname: a\n").expect("ok"));
    assert!(is_job_group_yaml_str("name: g\nexecution: parallel\n---\n").expect("ok"));
    assert!(is_job_group_yaml_str("- a\n---\nname: a\n").is_err());
}

#[test]
fn job_group_serial_and_empty_primary() {
    let (dag, _) = group(
        "name: g\nexecution: serial\nprimary_tasks: []\ntermination_delay: 30\n---\nname: a\n",
    );
    let dag = dag.expect("loads");
    assert_eq!(dag.execution, Some(Execution::Serial));
    assert!(!dag.is_job_group());
    assert_eq!(dag.primary_tasks, None);
    assert_eq!(
        dag.termination_delay,
        Some(TerminationDelay::All("30".into()))
    );
    assert_eq!(dag.tasks[0].name.as_deref(), Some("a"));
}
