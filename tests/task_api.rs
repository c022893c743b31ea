//! The Task API pieces that are not YAML loading: default recorded YAML,
//! resource priorities, factored resource configs, storage-mount checks.

use stix::spec::Task;
use stix::spec::resources_yaml::from_yaml_config as resources;
use stix::yaml::{Map, Value, load};

fn config(text: &str) -> Map {
    load(text)
        .ok()
        .and_then(|v| v.as_map().cloned())
        .unwrap_or_default()
}

fn group(text: &str) -> stix::spec::ResourceGroup {
    resources(Some(&load(text).unwrap_or_default())).unwrap_or_default()
}

#[test]
fn from_yaml_config_records_the_config_as_yaml() {
    let t = Task::from_yaml_config(
        config("envs: {A: null}\nfile_mounts: {/d: s3://$A}\n"),
        &[("A".into(), Some("bkt".into()))],
        &[],
    )
    .map_err(|e| e.message);
    let t = t.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        t.user_specified_yaml.as_deref(),
        Some("envs:\n  A: null\n\nfile_mounts:\n  /d: s3://$A\n")
    );
    let mut explicit_none = config("name: n\n");
    explicit_none.insert("_user_specified_yaml", Value::Null);
    let t = Task::from_yaml_config(explicit_none, &[], &[]).unwrap_or_default();
    assert_eq!(t.user_specified_yaml, None);
}

#[test]
fn priorities_must_agree() {
    let mut t = Task::new();
    let err = t
        .set_resources(group("ordered: [{priority: 1}, {priority: 2}]"))
        .map_err(|e| e.message);
    assert_eq!(
        err,
        Err("Priority is not consistent across resources: [<Cloud>(), <Cloud>()]".into())
    );
    assert!(
        t.set_resources(group("ordered: [{priority: 5}, {cpus: 2}]"))
            .is_ok()
    );
}

#[test]
fn resource_config_factors_common_fields() {
    let mut t = Task::new();
    assert!(
        t.set_resources(group(
            "ordered: [{infra: aws, cpus: 4}, {infra: gcp, cpus: 4}]"
        ))
        .is_ok()
    );
    let got = stix::yaml::safe_dump(&Value::Map(t.get_resource_config()));
    assert_eq!(got, "cpus: '4'\nordered:\n- infra: aws\n- infra: gcp\n");
    assert!(
        t.set_resources(group("ordered: [{infra: aws}, {infra: aws}]"))
            .is_ok()
    );
    assert_eq!(
        stix::yaml::safe_dump(&Value::Map(t.get_resource_config())),
        "infra: aws\n"
    );
}

#[test]
fn yaml_storage_mounts_need_fuse_and_keep_their_spec() {
    let t = Task::from_yaml_str(
        "workdir: /tmp\nfile_mounts:\n  /d:\n    name: b\n    mode: copy\n  /e:\n    source: gs://g\n",
    )
    .unwrap_or_default();
    assert_eq!(t.storage_mounts.len(), 2);
    assert_eq!(t.resources.items()[0].requires_fuse, Some(true));
    let err = Task::from_yaml_str("workdir: /tmp\nfile_mounts:\n  ~/sky_workdir:\n    name: b\n")
        .map_err(|e| e.message);
    assert!(err.is_err_and(|m| m.starts_with("Cannot use '~/sky_workdir' as a destination")));
}
