//! Unit tests for the merge rules, the file layering and its messages.
//! (tests/python/test_config.py compares the whole surface with values
//! recorded from SkyPilot 0.14.1.)

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::effective::{cloud_config_value, merge_task_overrides, merged_with_task};
use super::load::{Env, describe_paths, load, parse_and_validate_config_file};
use super::nested::{get_nested, key_paths, overlay, pop_nested, set_nested};
use super::validate::{compose_cli_config, py_regex_error};
use crate::error::ErrorKind;
use crate::yaml::{self, Map, Value};

fn map(text: &str) -> Map {
    match yaml::load(text) {
        Ok(Value::Map(m)) => m,
        other => panic!("not a map: {other:?}"),
    }
}

fn keys(path: &[&str]) -> Vec<Value> {
    path.iter().map(|k| Value::from(*k)).collect()
}

/// A fresh sandbox with `home/`, `cwd/` and `other/`.
struct Sandbox {
    root: PathBuf,
}

impl Sandbox {
    fn new() -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let root = std::env::temp_dir().join(format!(
            "stix-config-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        for d in ["home/.sky", "cwd", "other"] {
            std::fs::create_dir_all(root.join(d)).expect("sandbox dirs");
        }
        Sandbox { root }
    }
    fn path(&self, rel: &str) -> String {
        self.root.join(rel).to_string_lossy().into_owned()
    }
    fn write(&self, rel: &str, text: &str) -> &Self {
        std::fs::write(self.root.join(rel), text).expect("write");
        self
    }
    fn env(&self, vars: &[(&str, &str)]) -> Env {
        let home = self.path("home");
        let mut all: Vec<(&str, &str)> = vec![("HOME", &home)];
        all.extend_from_slice(vars);
        Env::fixed(&all, &self.root.join("cwd"))
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

#[test]
fn dicts_merge_and_everything_else_replaces() {
    let base = map("a: {x: 1, y: [1, 2]}\nb: 1\nc: {d: 1}\n");
    let over = map("a: {y: [3], z: 2}\nb: {n: 1}\nc: 5\n");
    let merged = overlay(&base, Some(&over)).expect("merge");
    assert_eq!(merged, map("a: {x: 1, y: [3], z: 2}\nb: {n: 1}\nc: 5\n"));
}

#[test]
fn pod_config_merges_the_kubernetes_way() {
    let base = map(
        "kubernetes:\n  pod_config:\n    spec:\n      imagePullSecrets: [{name: s1}]\n      tolerations: [{key: a}]\n      containers:\n        - name: main\n          args: [x]\n          env: [{name: A, value: '1'}]\n",
    );
    let over = map(
        "kubernetes:\n  pod_config:\n    spec:\n      imagePullSecrets: [{name: s2}]\n      tolerations: [{key: b}]\n      containers:\n        - args: [y]\n          env: [{name: A, value: '2'}, {name: B, value: '3'}]\n        - name: side\n",
    );
    let merged = overlay(&base, Some(&over)).expect("merge");
    let want = map(
        "kubernetes:\n  pod_config:\n    spec:\n      imagePullSecrets: [{name: s2}]\n      tolerations: [{key: a}, {key: b}]\n      containers:\n        - name: main\n          args: [y]\n          env: [{name: A, value: '2'}, {name: B, value: '3'}]\n        - name: side\n",
    );
    assert_eq!(merged, want);
}

#[test]
fn pod_config_shape_mismatch_is_an_invalid_config() {
    let base = map("kubernetes:\n  pod_config:\n    spec:\n      containers: []\n");
    let over = map("kubernetes:\n  pod_config:\n    spec:\n      containers: oops\n");
    let err = overlay(&base, Some(&over)).expect_err("mismatch");
    assert_eq!(err.kind, ErrorKind::InvalidConfig);
    assert_eq!(
        err.message,
        "Cannot override config field 'containers' of type list with a value of type str: 'oops'."
    );
}

#[test]
fn override_keys_are_checked_only_where_the_merge_descends() {
    let allowed = key_paths(&[&["docker", "run_options"], &["active_workspace"]]);
    let with_docker = map("docker: {run_options: a}\n");
    let err = get_nested(
        &with_docker,
        &[],
        Some(&map("docker: {foo: 1}\n")),
        Some(&allowed),
        None,
    )
    .expect_err("nested key");
    assert_eq!(
        err.message,
        "Key foo is not in allowed override keys: [('run_options',)]"
    );
    // Without a `docker:` section the whole dict is assigned unchecked.
    let merged = get_nested(
        &Map::new(),
        &[],
        Some(&map("docker: {foo: 1}\n")),
        Some(&allowed),
        None,
    )
    .expect("assigned");
    assert_eq!(merged, Some(Value::Map(map("docker: {foo: 1}\n"))));
    let err = get_nested(
        &Map::new(),
        &[],
        Some(&map("aws: {}\n")),
        Some(&allowed),
        None,
    )
    .expect_err("top-level key");
    assert_eq!(
        err.message,
        "Key aws is not in allowed override keys: [('docker', 'run_options'), ('active_workspace',)]"
    );
    let disallowed = key_paths(&[&["db"]]);
    let err = get_nested(
        &Map::new(),
        &[],
        Some(&map("db: x\n")),
        None,
        Some(&disallowed),
    )
    .expect_err("disallowed");
    assert_eq!(
        err.message,
        "Key db is in disallowed override keys: [('db',)]"
    );
}

#[test]
fn nested_get_set_and_pop() {
    let mut c = map("a: {b: 1}\n");
    assert_eq!(
        get_nested(&c, &keys(&["a", "b"]), None, None, None).expect("get"),
        Some(Value::Int(1))
    );
    assert_eq!(
        get_nested(&c, &keys(&["a", "b", "c"]), None, None, None).expect("get"),
        None
    );
    set_nested(&mut c, &keys(&["a", "c", "d"]), Value::Int(2)).expect("set");
    assert_eq!(c, map("a: {b: 1, c: {d: 2}}\n"));
    assert_eq!(pop_nested(&mut c, &keys(&["a", "b"])), Some(Value::Int(1)));
    assert_eq!(pop_nested(&mut c, &keys(&["x"])), None);
    assert_eq!(c, map("a: {c: {d: 2}}\n"));
}

#[test]
fn task_overrides_keep_only_overrideable_keys_and_nulls_clear() {
    let current = map("gcp: {vpc_name: a}\ndocker: {run_options: x}\n");
    let new = map(
        "gcp: {vpc_name: null}\naws: {vpc_name: v}\nkubernetes: {namespace: n, provision_timeout: 3}\n",
    );
    let merged = merge_task_overrides(Some(&current), Some(&new)).expect("merge");
    assert_eq!(
        merged,
        Some(map(
            "gcp: {}\ndocker: {run_options: x}\nkubernetes: {provision_timeout: 3}\n"
        ))
    );
    assert_eq!(merge_task_overrides(None, None).expect("empty"), None);
}

#[test]
fn effective_config_lays_task_overrides_over_the_loaded_config() {
    let base = map("kubernetes: {provision_timeout: 10, namespace: n}\n");
    let task = map("kubernetes: {provision_timeout: 99}\n");
    let merged = merged_with_task(&base, Some(&task)).expect("merge");
    assert_eq!(
        merged,
        map("kubernetes: {provision_timeout: 99, namespace: n}\n")
    );
    let err = merged_with_task(&base, Some(&map("kubernetes: {namespace: x}\n")))
        .expect_err("not overrideable");
    assert!(
        err.message
            .starts_with("Key namespace is not in allowed override keys")
    );
}

#[test]
fn region_config_prefers_the_context_and_merges_kubernetes_dicts() {
    let c = map(
        "kubernetes:\n  pod_config: {a: 1}\n  context_configs:\n    ctx: {pod_config: {b: 2}}\naws: {vpc_name: v}\n",
    );
    let v = cloud_config_value(
        &c,
        "kubernetes",
        &keys(&["pod_config"]),
        Some("ctx"),
        Value::Null,
        None,
        false,
    )
    .expect("lookup");
    assert_eq!(v, Value::Map(map("a: 1\nb: 2\n")));
    let v = cloud_config_value(
        &c,
        "aws",
        &keys(&["vpc_name"]),
        Some("us-east-1"),
        Value::Null,
        None,
        false,
    )
    .expect("lookup");
    assert_eq!(v, Value::from("v"));
}

#[test]
fn project_config_overrides_user_config() {
    let sb = Sandbox::new();
    sb.write(
        "home/.sky/config.yaml",
        "docker: {run_options: u}\ngcp: {enable_gvnic: true}\n",
    )
    .write("cwd/.sky.yaml", "docker: {run_options: p}\n");
    let loaded = load(&sb.env(&[])).expect("load");
    assert_eq!(
        loaded.config,
        map("docker: {run_options: p}\ngcp: {enable_gvnic: true}\n")
    );
    let user = sb.path("home/.sky/config.yaml");
    assert_eq!(
        loaded.paths,
        vec![Some(user.clone()), Some(".sky.yaml".to_string())]
    );
    assert_eq!(
        describe_paths(&loaded.paths, false),
        Some(format!("<merged ({user}, .sky.yaml)>"))
    );
}

#[test]
fn env_vars_pick_the_files() {
    let sb = Sandbox::new();
    sb.write("home/.sky/config.yaml", "docker: {run_options: home}\n")
        .write("other/g.yaml", "docker: {run_options: global}\n")
        .write("other/i.yaml", "docker: {run_options: internal}\n");
    let g = sb.path("other/g.yaml");
    let loaded = load(&sb.env(&[("SKYPILOT_GLOBAL_CONFIG", &g)])).expect("load");
    assert_eq!(loaded.config, map("docker: {run_options: global}\n"));
    // An empty variable means the default file.
    let loaded = load(&sb.env(&[("SKYPILOT_GLOBAL_CONFIG", "")])).expect("load");
    assert_eq!(loaded.config, map("docker: {run_options: home}\n"));
    let i = sb.path("other/i.yaml");
    let loaded =
        load(&sb.env(&[("SKYPILOT_CONFIG", &i), ("SKYPILOT_GLOBAL_CONFIG", &g)])).expect("load");
    assert_eq!(loaded.config, map("docker: {run_options: internal}\n"));
    assert_eq!(loaded.paths, vec![Some(i)]);
    let missing = sb.path("other/nope.yaml");
    let err = load(&sb.env(&[("SKYPILOT_PROJECT_CONFIG", &missing)])).expect_err("missing");
    assert_eq!(err.kind, ErrorKind::FileNotFound);
    assert_eq!(
        err.message,
        format!(
            "Config file specified by env var SKYPILOT_PROJECT_CONFIG ('{missing}') does not exist. Please double check the path or unset the env var: unset SKYPILOT_PROJECT_CONFIG"
        )
    );
}

#[test]
fn file_contents_as_skypilot_reads_them() {
    let sb = Sandbox::new();
    let env = sb.env(&[]);
    let path = sb.path("other/c.yaml");
    let read = |text: &str| {
        sb.write("other/c.yaml", text);
        parse_and_validate_config_file(&env, &path)
    };
    assert_eq!(read("").expect("empty").config, Map::new());
    let err = read("- a\n").expect_err("list");
    assert_eq!(
        err.message,
        "sky.utils.config_utils.Config() argument after ** must be a mapping, not list"
    );
    assert_eq!(
        read("1: 2\n").expect_err("keys").message,
        "keywords must be strings"
    );
    // Broken YAML is logged and ignored.
    let f = read("a: [1\n").expect("ignored");
    assert!(f.config.is_empty() && f.yaml_error.is_some());
    let f = read("db: postgres://x\naws: {use_ssm: true}\n").expect("db");
    assert_eq!(f.db_url.as_deref(), Some("postgres://x"));
    assert_eq!(f.config, map("aws: {use_ssm: true}\n"));
    let err = read("kubernetse: {}\n").expect_err("typo");
    assert_eq!(
        err.message,
        format!(
            "Invalid config YAML from ({path}). See: https://docs.skypilot.co/en/latest/reference/config.html. Error: Instead of 'kubernetse', did you mean 'kubernetes'?"
        )
    );
}

#[test]
fn cli_overrides_are_dotlists_or_one_file() {
    let sb = Sandbox::new();
    let env = sb.env(&[]);
    let args = vec!["kubernetes.provision_timeout=5".to_string()];
    assert_eq!(
        compose_cli_config(&env, &args).expect("dotlist"),
        map("kubernetes: {provision_timeout: 5}\n")
    );
    let err = compose_cli_config(&env, &["foo".to_string()]).expect_err("no =");
    assert_eq!(
        err.message,
        "Invalid config override: ['foo']. Check if config file exists or if the dotlist is formatted as: key1=value1,key2=value2.\nDetails: Invalid config override: foo. Please use the format: key=value"
    );
}

#[test]
fn python_regex_errors() {
    assert_eq!(py_regex_error("job-(\\d+)"), None);
    assert_eq!(py_regex_error("(?P<id>x)|[a-z]+?"), None);
    assert_eq!(
        py_regex_error("("),
        Some("missing ), unterminated subpattern at position 0".into())
    );
    assert_eq!(
        py_regex_error("a)"),
        Some("unbalanced parenthesis at position 1".into())
    );
    assert_eq!(
        py_regex_error("*a"),
        Some("nothing to repeat at position 0".into())
    );
    assert_eq!(
        py_regex_error("a**"),
        Some("multiple repeat at position 2".into())
    );
    assert_eq!(
        py_regex_error("[a"),
        Some("unterminated character set at position 0".into())
    );
    assert_eq!(
        py_regex_error("\\"),
        Some("bad escape (end of pattern) at position 0".into())
    );
}

#[test]
fn yaml_dump_matches_pyyaml() {
    let c = map(
        "a: 1\nb: {c: 2, e: {f: x}}\nd: [1, {x: 1, y: [2]}]\nz: 'true'\nw: ''\nn: null\nf: 1.0e+17\nm: \"a\\nb\"\nl: []\nk: {}\nu: \"\\xe9\"\n",
    );
    assert_eq!(
        yaml::dump_yaml_str(&Value::Map(c)),
        "a: 1\n\nb:\n  c: 2\n  e:\n    f: x\n\nd:\n- 1\n- x: 1\n  y:\n  - 2\n\nz: 'true'\n\nw: ''\n\nn: null\n\nf: 1.0e+17\n\nm: 'a\n\n  b'\n\nl: []\n\nk: {}\n\nu: \"\\xE9\"\n"
    );
    let long = format!("s: {}\n", "a b".repeat(50));
    let want = "s: a ba ba ba ba ba ba ba ba ba ba ba ba ba ba ba ba ba ba ba ba ba ba ba ba ba ba\n  ba ba ba ba ba ba ba ba ba ba ba ba ba ba ba ba ba ba ba ba ba ba ba b\n";
    assert_eq!(yaml::safe_dump(&Value::Map(map(&long))), want);
    assert_eq!(yaml::dump_yaml_str(&Value::Map(Map::new())), "{}\n");
    assert_eq!(
        yaml::safe_dump(&Value::Map(map("a: [[1, 2], [3]]\n"))),
        "a:\n- - 1\n  - 2\n- - 3\n"
    );
}
