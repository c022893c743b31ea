//! Spec-layer checks against SkyPilot 0.14.1 behaviour, without Python.

use stix::spec::{Resources, Task};
use stix::yaml::{Map, Value};

fn task(text: &str) -> Task {
    Task::from_yaml_str(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn err(text: &str) -> String {
    Task::from_yaml_str(text).expect_err(text).message
}

#[test]
fn resources_normalise_like_skypilot() {
    let t = task(
        "resources:\n  cpus: 4+\n  memory: 32GB\n  accelerators: V100:0.5\n  disk_size: 1TB\n  ports: [8080, '9000-9001', 9002]\n",
    );
    let r = &t.resources.items()[0];
    assert_eq!(r.cpus.as_deref(), Some("4+"));
    assert_eq!(r.memory.as_deref(), Some("32.0"));
    assert_eq!(r.disk_size, Some(1024));
    assert_eq!(
        r.ports.as_deref(),
        Some(&["8080".to_string(), "9000-9002".to_string()][..])
    );
    assert_eq!(
        r.repr(),
        "<Cloud>(cpus=4+, mem=32.0, {'V100': 0.5}, disk_size=1024, ports=['8080', '9000-9002'])"
    );
}

#[test]
fn accelerator_forms_pick_set_or_list() {
    assert!(
        !task("resources:\n  accelerators: {A100:8, H100:8}\n")
            .resources
            .is_ordered()
    );
    assert_eq!(
        task("resources:\n  accelerators: {A100: 8, H100: 8}\n")
            .resources
            .items()
            .len(),
        2
    );
    assert!(
        task("resources:\n  accelerators: [A100:8, H100:8]\n")
            .resources
            .is_ordered()
    );
    assert_eq!(
        err("resources:\n  accelerators: 'V100: expected_a_float_here'\n"),
        "The \"accelerators\" field as a str should be <name> or <name>:<cnt>. Found: 'V100: expected_a_float_here'"
    );
}

#[test]
fn unknown_fields_get_did_you_mean() {
    assert_eq!(
        err("nmae: x\n"),
        "Invalid task YAML: Instead of 'nmae', did you mean 'name'?"
    );
    assert_eq!(
        err("foobarbaz: 1\n"),
        "Invalid task YAML: Found unsupported field 'foobarbaz'."
    );
    assert_eq!(
        err("resources:\n  spot_recovery: FAILOVER\n"),
        "Invalid resources YAML: Instead of 'spot_recovery', did you mean 'job_recovery'?"
    );
    assert_eq!(
        err("num_nodes: 1.5\n"),
        "Invalid task YAML: 1.5 is not of type 'integer'. Check problematic field(s): $.num_nodes"
    );
}

#[test]
fn env_substitution_only_where_skypilot_does_it() {
    let t = task("envs:\n  B: bucket\nfile_mounts:\n  /d/$B: s3://${B}/x\nrun: echo $B\n");
    let fm = t.file_mounts.unwrap();
    assert_eq!(fm.get("/d/bucket"), Some(&Value::from("s3://bucket/x")));
    assert_eq!(t.run.as_deref(), Some("echo $B"));
}

#[test]
fn resources_from_kwargs() {
    let mut args = Map::new();
    args.insert("infra", "aws/us-east-1/us-east-1a");
    args.insert("cloud", "gcp");
    let e = Resources::new(&args).unwrap_err();
    assert!(
        e.message
            .starts_with("Cannot specify both `infra` and `cloud`"),
        "{}",
        e.message
    );
}

#[test]
fn to_yaml_config_round_trips() {
    let text = "name: train\nresources:\n  any_of:\n    - infra: aws\n      accelerators: A100:8\n    - infra: gcp\n      accelerators: H100:8\nnum_nodes: 2\nrun: python train.py\nenvs:\n  N: 3\n";
    let t = task(text);
    let mut c = t.to_yaml_config(false);
    assert_eq!(
        c.get("envs")
            .and_then(|e| e.as_map())
            .and_then(|e| e.get("N")),
        Some(&Value::from("3"))
    );
    c.remove("_user_specified_yaml");
    let again = Task::from_yaml_config(c.clone(), &[], &[]).unwrap();
    let mut c2 = again.to_yaml_config(false);
    c2.remove("_user_specified_yaml");
    assert_eq!(c, c2);
}
