//! SkyPilot 0.14.1's task, resources, storage and service schemas, built
//! once per process and mirrored key for key (order matters: `jsonschema`
//! reports the first failing keyword in schema order).

use std::sync::OnceLock;

use regex::Regex;

use super::schema::{Additional, Schema};
use crate::yaml::Value;

/// Every cloud name SkyPilot's schema accepts, in its order.
pub const ALL_CLOUDS: &[&str] = &[
    "aws",
    "azure",
    "gcp",
    "ibm",
    "lambda",
    "scp",
    "oci",
    "kubernetes",
    "runpod",
    "vast",
    "vsphere",
    "cudo",
    "fluidstack",
    "paperspace",
    "primeintellect",
    "do",
    "nebius",
    "ssh",
    "slurm",
    "hyperbolic",
    "seeweb",
    "shadeform",
    "yotta",
    "mithril",
    "verda",
];

/// `constants.MEMORY_SIZE_PATTERN`.
pub const MEMORY_SIZE_PATTERN: &str = "^[0-9]+(kb|ki|mb|mi|gb|gi|tb|ti|pb|pi|KB|KI|MB|MI|GB|GI|TB|TI|PB|PI|Kb|Ki|Mb|Mi|Gb|Gi|Tb|Ti|Pb|Pi)?$";
/// `constants.TIME_PATTERN` (minutes-based units).
pub const TIME_PATTERN: &str = "^[0-9]+(m|h|d|w|M|H|D|W)?$";

fn re(p: &str) -> Regex {
    // Python's `re` and Rust's `regex` agree on every pattern used here.
    Regex::new(p).unwrap_or_else(|e| panic!("built-in schema pattern {p:?} is invalid: {e}"))
}

pub(crate) fn ty(types: &[&'static str]) -> Schema {
    Schema {
        types: types.to_vec(),
        ..Schema::default()
    }
}
pub(crate) fn string() -> Schema {
    ty(&["string"])
}
pub(crate) fn boolean() -> Schema {
    ty(&["boolean"])
}
pub(crate) fn integer() -> Schema {
    ty(&["integer"])
}
pub(crate) fn number() -> Schema {
    ty(&["number"])
}
pub(crate) fn object() -> Schema {
    ty(&["object"])
}
pub(crate) fn with_min(mut s: Schema, m: f64) -> Schema {
    s.minimum = Some(m);
    s
}
pub(crate) fn pattern(mut s: Schema, p: &str) -> Schema {
    s.pattern = Some((p.to_string(), re(p)));
    s
}
pub(crate) fn any_of(options: Vec<Schema>) -> Schema {
    Schema {
        any_of: options,
        ..Schema::default()
    }
}
pub(crate) fn one_of(options: Vec<Schema>) -> Schema {
    Schema {
        one_of: options,
        ..Schema::default()
    }
}
pub(crate) fn array(items: Schema) -> Schema {
    Schema {
        types: vec!["array"],
        items: Some(Box::new(items)),
        ..Schema::default()
    }
}
pub(crate) fn ci_enum(values: &[&str]) -> Schema {
    Schema {
        types: vec!["string"],
        custom_enum: Some((values.iter().map(|s| s.to_string()).collect(), false)),
        ..Schema::default()
    }
}
pub(crate) fn strict_obj(props: Vec<(&'static str, Schema)>) -> Schema {
    Schema {
        types: vec!["object"],
        properties: props,
        additional: Additional::Forbidden,
        ..Schema::default()
    }
}
pub(crate) fn open_obj(props: Vec<(&'static str, Schema)>) -> Schema {
    Schema {
        types: vec!["object"],
        properties: props,
        ..Schema::default()
    }
}
pub(crate) fn map_of(values: Schema) -> Schema {
    Schema {
        types: vec!["object"],
        additional: Additional::Schema(Box::new(values)),
        ..Schema::default()
    }
}
pub(crate) fn required(mut s: Schema, keys: &[&'static str]) -> Schema {
    s.required = keys.to_vec();
    s
}
fn size_or_int() -> Schema {
    any_of(vec![pattern(string(), MEMORY_SIZE_PATTERN), integer()])
}

fn infra_pattern() -> String {
    let clouds: Vec<&str> = ALL_CLOUDS
        .iter()
        .copied()
        .filter(|c| *c != "kubernetes")
        .collect();
    format!(
        "^(?:(?i:({}))(?:/[^/]+(?:/[^/]+)?)?|\\*(?:/[^/]+(?:/[^/]+)?)?|(?i:kubernetes|k8s)(?:/.+)?)$",
        clouds.join("|")
    )
}

pub(crate) fn autostop_schema() -> Schema {
    let mut time = pattern(string(), TIME_PATTERN);
    time.minimum = Some(0.0);
    any_of(vec![
        boolean(),
        any_of(vec![time, integer()]),
        strict_obj(vec![
            ("idle_minutes", with_min(integer(), 0.0)),
            ("down", boolean()),
            ("wait_for", ci_enum(&["jobs_and_ssh", "jobs", "none"])),
            ("hook", string()),
            ("hook_timeout", with_min(integer(), 1.0)),
        ]),
    ])
}

pub(crate) fn hooks_schema() -> Schema {
    let mut run = string();
    run.min_length = Some(1);
    run.max_length = Some(16 * 1024);
    let mut events = array(Schema {
        types: vec!["string"],
        enum_values: Some(
            ["stop", "preemption", "down"]
                .iter()
                .map(|s| Value::from(*s))
                .collect(),
        ),
        ..Schema::default()
    });
    events.min_items = Some(1);
    events.unique_items = true;
    // SkyPilot lists `minItems` and `uniqueItems` before `items`.
    events.order = vec!["type", "minItems", "uniqueItems", "items"];
    let item = required(
        strict_obj(vec![
            ("run", run),
            ("events", events),
            ("timeout", with_min(integer(), 1.0)),
        ]),
        &["run"],
    );
    let mut hooks = array(item);
    hooks.max_items = Some(32);
    hooks.order = vec!["type", "maxItems", "items"];
    hooks
}

fn single_resources_props() -> Vec<(&'static str, Schema)> {
    let mut exit_code = integer();
    exit_code.minimum = Some(0.0);
    exit_code.maximum = Some(255.0);
    let mut exit_codes = array(exit_code.clone());
    exit_codes.unique_items = true;
    let mut max_cost = number();
    max_cost.exclusive_minimum = Some(0.0);
    let mut priority = integer();
    priority.minimum = Some(-1000.0);
    priority.maximum = Some(1000.0);
    let mut single_accel = object();
    single_accel.max_properties = Some(1);
    single_accel.additional = Additional::Schema(Box::new(number()));
    vec![
        ("cloud", ci_enum(ALL_CLOUDS)),
        ("region", string()),
        ("zone", string()),
        ("infra", pattern(string(), &infra_pattern())),
        ("cpus", any_of(vec![string(), number()])),
        ("memory", any_of(vec![string(), number()])),
        ("accelerators", any_of(vec![string(), single_accel])),
        ("instance_type", string()),
        ("use_spot", boolean()),
        (
            "job_recovery",
            any_of(vec![
                string(),
                // The client lets plugin keys through (server-side checks them).
                open_obj(vec![
                    ("strategy", any_of(vec![string(), ty(&["null"])])),
                    ("max_restarts_on_errors", with_min(integer(), 0.0)),
                    ("recover_on_exit_codes", any_of(vec![exit_code, exit_codes])),
                ]),
            ]),
        ),
        (
            "volumes",
            array(open_obj(vec![
                ("disk_size", size_or_int()),
                ("disk_tier", string()),
                ("path", string()),
                ("auto_delete", boolean()),
                ("storage_type", string()),
                ("name", string()),
                ("attach_mode", string()),
            ])),
        ),
        ("disk_size", size_or_int()),
        ("ephemeral_storage", size_or_int()),
        ("disk_tier", string()),
        ("network_tier", string()),
        ("local_disk", string()),
        ("max_hourly_cost", max_cost),
        (
            "ports",
            any_of(vec![
                string(),
                integer(),
                array(any_of(vec![string(), integer()])),
                ty(&["null"]),
            ]),
        ),
        ("labels", map_of(string())),
        (
            "accelerator_args",
            strict_obj(vec![
                ("runtime_version", string()),
                ("tpu_name", string()),
                ("tpu_vm", boolean()),
                ("gcp_queued_resource", boolean()),
            ]),
        ),
        ("_no_missing_accel_warnings", boolean()),
        ("image_id", any_of(vec![string(), object(), ty(&["null"])])),
        ("autostop", autostop_schema()),
        ("priority", priority),
        ("priority_class", string()),
        (
            "_docker_login_config",
            required(
                strict_obj(vec![
                    ("username", string()),
                    ("password", string()),
                    ("server", string()),
                ]),
                &["username", "password", "server"],
            ),
        ),
        ("_is_image_managed", boolean()),
        ("_requires_fuse", boolean()),
        ("_cluster_config_overrides", object()),
    ]
}

/// `get_resources_schema()`.
pub fn resources() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        let single = strict_obj(single_resources_props());
        let mut props: Vec<(&'static str, Schema)> = single_resources_props()
            .into_iter()
            .filter(|(k, _)| *k != "accelerators")
            .collect();
        props.push((
            "accelerators",
            any_of(vec![
                string(),
                map_of(any_of(vec![ty(&["null"]), number()])),
                array(string()),
            ]),
        ));
        props.push(("any_of", array(single.clone())));
        props.push(("ordered", array(single)));
        strict_obj(props)
    })
}

/// `get_storage_schema()`.
pub fn storage() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        let mem = "^[0-9]+(b|k|m|g|t|p|B|K|M|G|T|P)?$";
        let dur = r"^(?:(?:[-+]?(?:\d+(?:\.\d+)?|\.\d+)(?:ms|[smhdwMy]))+|([-+]?(?:\d+(?:\.\d+)?|\.\d+)))$";
        let mut source_list = array(string());
        source_list.min_items = Some(1);
        let mount_cached = strict_obj(vec![
            ("transfers", with_min(integer(), 1.0)),
            ("buffer_size", pattern(string(), mem)),
            ("vfs_cache_max_size", pattern(string(), mem)),
            ("vfs_cache_max_age", pattern(string(), dur)),
            ("vfs_read_ahead", pattern(string(), mem)),
            ("vfs_read_chunk_size", pattern(string(), mem)),
            ("vfs_read_chunk_streams", with_min(integer(), 0.0)),
            ("vfs_write_back", pattern(string(), dur)),
            ("read_only", boolean()),
        ]);
        let mount = strict_obj(vec![("read_only", boolean()), ("hf_mount_args", array(string()))]);
        strict_obj(vec![
            ("name", string()),
            ("source", any_of(vec![string(), source_list])),
            ("store", ci_enum(&["S3", "GCS", "AZURE", "R2", "IBM", "OCI", "NEBIUS", "COREWEAVE", "VASTDATA", "HF", "VOLUME"])),
            ("persistent", boolean()),
            ("mode", ci_enum(&["MOUNT", "COPY", "MOUNT_CACHED"])),
            ("type", ci_enum(&["MODEL_CHECKPOINT_RO", "MODEL_CHECKPOINT_RW", "DATASET_RO", "DATASET_RW"])),
            (
                "config",
                open_obj(vec![
                    ("disk_size", size_or_int()),
                    ("disk_tier", string()),
                    ("storage_type", string()),
                    ("attach_mode", string()),
                    ("mount_cached", mount_cached),
                    ("mount", mount),
                ]),
            ),
            ("_is_sky_managed", boolean()),
            ("_bucket_sub_path", string()),
            ("_force_delete", boolean()),
        ])
    })
}

/// `get_service_schema()`.
pub fn service() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        let probe = required(
            strict_obj(vec![
                ("path", string()),
                ("initial_delay_seconds", number()),
                ("timeout_seconds", number()),
                ("endpoint_probe_interval_seconds", number()),
                ("consecutive_failure_threshold_timeout", number()),
                ("post_data", any_of(vec![string(), object()])),
                ("headers", map_of(string())),
            ]),
            &["path"],
        );
        let qps_map = Schema {
            types: vec!["object"],
            pattern_properties: vec![(
                "^[A-Z0-9]+(?::[0-9]+)?$".into(),
                re("^[A-Z0-9]+(?::[0-9]+)?$"),
                with_min(number(), 0.0),
            )],
            additional: Additional::Forbidden,
            ..Schema::default()
        };
        let mut svc = strict_obj(vec![
            ("readiness_probe", any_of(vec![string(), probe])),
            (
                "load_balancer",
                strict_obj(vec![("stream_timeout_seconds", number())]),
            ),
            (
                "pool",
                strict_obj(vec![
                    ("workers", with_min(integer(), 0.0)),
                    ("min_workers", with_min(integer(), 0.0)),
                    ("queue_length_threshold", with_min(integer(), 1.0)),
                    ("max_workers", with_min(integer(), 0.0)),
                    ("upscale_delay_seconds", with_min(number(), 0.0)),
                    ("downscale_delay_seconds", with_min(number(), 0.0)),
                ]),
            ),
            (
                "replica_policy",
                required(
                    strict_obj(vec![
                        ("min_replicas", with_min(integer(), 0.0)),
                        ("max_replicas", with_min(integer(), 0.0)),
                        ("num_overprovision", with_min(integer(), 0.0)),
                        (
                            "target_qps_per_replica",
                            any_of(vec![with_min(number(), 0.0), qps_map]),
                        ),
                        ("dynamic_ondemand_fallback", boolean()),
                        ("base_ondemand_fallback_replicas", with_min(integer(), 0.0)),
                        ("spot_placer", ci_enum(&["dynamic_fallback"])),
                        ("upscale_delay_seconds", number()),
                        ("downscale_delay_seconds", number()),
                    ]),
                    &["min_replicas"],
                ),
            ),
            ("ports", integer()),
            ("replicas", integer()),
            ("workers", integer()),
            (
                "load_balancing_policy",
                ci_enum(&["round_robin", "least_load", "instance_aware_least_load"]),
            ),
            (
                "tls",
                required(
                    strict_obj(vec![("keyfile", string()), ("certfile", string())]),
                    &["keyfile", "certfile"],
                ),
            ),
        ]);
        // The service schema has no `required` key at all.
        svc.required.clear();
        svc
    })
}

fn volume_mount() -> Schema {
    strict_obj(vec![
        ("path", string()),
        ("volume_name", string()),
        ("is_ephemeral", boolean()),
        (
            "sub_path",
            pattern(string(), "^[a-zA-Z0-9._-][a-zA-Z0-9./_-]*$"),
        ),
        (
            "volume_config",
            open_obj(vec![
                ("cloud", ci_enum(ALL_CLOUDS)),
                ("region", any_of(vec![string(), ty(&["null"])])),
                ("zone", any_of(vec![string(), ty(&["null"])])),
            ]),
        ),
    ])
}

/// The task-level `config:` block: the overrideable part of the config
/// schema plus `hooks` (built in `config::schema`).
pub fn task_config() -> &'static Schema {
    crate::config::task_config_schema()
}

/// `get_task_schema()`.
pub fn task() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        let env_re = "^[a-zA-Z_][a-zA-Z0-9_]*$";
        let envs = Schema {
            types: vec!["object"],
            pattern_properties: vec![(env_re.into(), re(env_re), ty(&["string", "null"]))],
            additional: Additional::Forbidden,
            ..Schema::default()
        };
        let mut managed_obj = object();
        managed_obj.max_properties = Some(1);
        managed_obj.additional =
            Additional::Schema(Box::new(strict_obj(vec![("mount_path", string())])));
        let mut io = object();
        io.max_properties = Some(1);
        io.additional = Additional::Schema(Box::new(number()));
        strict_obj(vec![
            ("name", string()),
            (
                "workdir",
                any_of(vec![
                    string(),
                    required(
                        strict_obj(vec![("url", string()), ("ref", string())]),
                        &["url"],
                    ),
                ]),
            ),
            ("event_callback", string()),
            ("num_nodes", integer()),
            ("resources", object()),
            ("file_mounts", object()),
            ("service", object()),
            ("pool", object()),
            ("setup", string()),
            ("run", string()),
            ("envs", envs),
            (
                "secrets",
                one_of(vec![map_of(ty(&["string", "null"])), array(string())]),
            ),
            (
                "managed_secrets",
                array(one_of(vec![string(), managed_obj])),
            ),
            ("inputs", io.clone()),
            ("outputs", io),
            ("file_mounts_mapping", object()),
            ("config", task_config().clone()),
            ("volumes", object()),
            ("volume_mounts", array(volume_mount())),
            ("api_server_access", boolean()),
            ("_metadata", object()),
        ])
    })
}
