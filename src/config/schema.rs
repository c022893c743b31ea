//! SkyPilot 0.14.1's `~/.sky/config.yaml` schema (`get_config_schema()` as a
//! client sees it) and the task-level `config:` schema derived from it.
//! Keys are listed in SkyPilot's order: `jsonschema` reports the first
//! failing keyword in that order.

use std::sync::OnceLock;

use super::schema_clouds::cloud_configs;
use super::schema_workspaces::workspaces;
use crate::spec::schema::Schema;
use crate::spec::schemas::{
    any_of, array, autostop_schema, boolean, ci_enum, hooks_schema, integer, map_of, number,
    object, open_obj, pattern, required, resources, strict_obj, string, ty, with_min,
};
use crate::yaml::Value;

/// `constants.OVERRIDEABLE_CONFIG_KEYS_IN_TASK`: what a task's `config:`
/// may override, in SkyPilot's order (its error messages list them so).
pub const OVERRIDEABLE_CONFIG_KEYS_IN_TASK: &[&[&str]] = &[
    &["docker", "run_options"],
    &["nvidia_gpus", "disable_ecc"],
    &["ssh", "custom_metadata"],
    &["ssh", "pod_config"],
    &["ssh", "provision_timeout"],
    &["kubernetes", "custom_metadata"],
    &["kubernetes", "pod_config"],
    &["kubernetes", "provision_timeout"],
    &["kubernetes", "dws"],
    &["kubernetes", "kueue"],
    &["kubernetes", "quota"],
    &["kubernetes", "remote_identity"],
    &["kubernetes", "enable_docker"],
    &["kubernetes", "set_pod_resource_limits"],
    &["azure", "remote_identity"],
    &["azure", "vpc_name"],
    &["gcp", "vpc_name"],
    &["gcp", "subnet_names"],
    &["gcp", "managed_instance_group"],
    &["gcp", "enable_gvnic"],
    &["gcp", "enable_gpu_direct"],
    &["gcp", "placement_policy"],
    &["vast", "datacenter_only"],
    &["vast", "create_instance_kwargs"],
    &["slurm", "sbatch_options"],
    &["slurm", "quota"],
    &["slurm", "cpu_partition"],
    &["active_workspace"],
];

/// The daemons of `sky.server.daemons.INTERNAL_REQUEST_DAEMONS`, by id.
const DAEMON_IDS: &[&str] = &[
    "skypilot-status-refresh-daemon",
    "skypilot-volume-status-refresh-daemon",
    "sky-serve-status-refresh-daemon",
    "pool-status-refresh-daemon",
    "server-heartbeat-daemon",
    "expired-token-cleanup-daemon",
    "launch-metrics-daemon",
];

/// A `pattern` whose `$` behaves as Python's: it also matches before a
/// final newline (Rust's `$` only matches at the very end).
pub(crate) fn py_pattern(s: Schema, p: &str) -> Schema {
    let mut s = pattern(s, p);
    let rust = p.replace('$', r"\n?\z");
    if let Ok(re) = regex::Regex::new(&rust) {
        s.pattern = Some((p.to_string(), re));
    }
    s
}

/// A string that must be one of `values` (JSON-Schema `enum`).
pub(crate) fn str_enum(values: &[&str]) -> Schema {
    Schema {
        types: vec!["string"],
        enum_values: Some(values.iter().map(|v| Value::from(*v)).collect()),
        ..Schema::default()
    }
}

/// A string checked with SkyPilot's `case_sensitive_enum`.
pub(crate) fn cs_enum(values: &[&str]) -> Schema {
    Schema {
        types: vec!["string"],
        custom_enum: Some((values.iter().map(|s| s.to_string()).collect(), true)),
        ..Schema::default()
    }
}

/// A string of at least `n` characters.
pub(crate) fn min_len(mut s: Schema, n: usize) -> Schema {
    s.min_length = Some(n);
    s
}

/// The schema checks its keywords in this order (SkyPilot's dict order).
pub(crate) fn in_order(mut s: Schema, order: &[&'static str]) -> Schema {
    s.order = order.to_vec();
    s
}

/// `{'required': [key]}`, used under `not` and `oneOf`.
pub(crate) fn requires(keys: &[&'static str]) -> Schema {
    required(Schema::default(), keys)
}

/// `s` plus `{'not': sub}`, with the Python repr `jsonschema` prints for it.
pub(crate) fn not(mut s: Schema, sub: Schema, repr: &str) -> Schema {
    s.not = Some((Box::new(sub), repr.to_string()));
    s
}

fn controller(extra: Vec<(&'static str, Schema)>) -> Schema {
    // The controller's resources take every resources field but `ports`.
    let mut res = resources().clone();
    res.properties.retain(|(k, _)| *k != "ports");
    let mut props = vec![
        (
            "controller",
            strict_obj(vec![
                ("resources", res),
                ("high_availability", boolean()),
                ("autostop", autostop_schema()),
                ("consolidation_mode", boolean()),
                ("controller_logs_gc_retention_hours", integer()),
                ("task_logs_gc_retention_hours", integer()),
            ]),
        ),
        ("bucket", pattern(string(), "^(https|s3|gs|r2|cos)://.+")),
        ("force_disable_cloud_bucket", boolean()),
    ];
    props.extend(extra);
    // On a client, plugin keys pass through for the server to check.
    open_obj(props)
}

fn api_server() -> Schema {
    strict_obj(vec![
        ("endpoint", py_pattern(string(), "^https?://.*$")),
        (
            "service_account_token",
            any_of(vec![py_pattern(string(), "^sky_.+$"), ty(&["null"])]),
        ),
        ("requests_retention_hours", integer()),
        ("logs_retention_hours", integer()),
        ("cluster_event_retention_hours", number()),
        ("cluster_debug_event_retention_hours", number()),
        ("cluster_terminal_event_retention_hours", number()),
        ("launch_attempt_retention_hours", number()),
        ("daemon_log_max_bytes", with_min(integer(), 0.0)),
    ])
}

fn logs() -> Schema {
    required(
        strict_obj(vec![
            ("store", ci_enum(&["gcp", "aws"])),
            (
                "gcp",
                open_obj(vec![
                    ("project_id", string()),
                    ("credentials_file", string()),
                    ("additional_labels", map_of(string())),
                ]),
            ),
            (
                "aws",
                open_obj(vec![
                    ("region", string()),
                    ("credentials_file", string()),
                    ("log_group_name", string()),
                    ("log_stream_prefix", string()),
                    ("auto_create_group", boolean()),
                    ("additional_tags", map_of(string())),
                ]),
            ),
        ]),
        &["store"],
    )
}

fn rbac() -> Schema {
    strict_obj(vec![
        ("default_role", ci_enum(&["admin", "user", "viewer"])),
        ("restrict_config_to_admins", boolean()),
        ("roles", map_of(open_obj(vec![("permissions", object())]))),
    ])
}

fn daemons() -> Schema {
    let daemon = open_obj(vec![
        ("log_level", ci_enum(&["DEBUG", "INFO", "WARNING"])),
        ("interval_seconds", with_min(integer(), 1.0)),
    ]);
    strict_obj(DAEMON_IDS.iter().map(|id| (*id, daemon.clone())).collect())
}

fn dashboard() -> Schema {
    let mut scope = array(str_enum(&["cluster", "jobs"]));
    scope.min_items = Some(1);
    scope.unique_items = true;
    let scope = in_order(scope, &["type", "minItems", "uniqueItems", "items"]);
    let mut link = required(
        strict_obj(vec![
            ("label", min_len(string(), 1)),
            ("regex", min_len(string(), 1)),
            ("url", min_len(string(), 1)),
            ("scope", scope),
        ]),
        &["label"],
    );
    link.one_of = vec![requires(&["regex"]), requires(&["url"])];
    strict_obj(vec![("external_links", array(link))])
}

fn metrics() -> Schema {
    let mut port = with_min(integer(), 1.0);
    port.maximum = Some(65535.0);
    strict_obj(vec![(
        "prometheus",
        strict_obj(vec![
            ("namespace", string()),
            ("service", string()),
            ("port", port),
        ]),
    )])
}

/// `get_config_schema()`, as a client (no plugins loaded) builds it.
pub fn config_schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        let status_check = strict_obj(vec![
            ("min_elapsed_seconds", with_min(number(), 0.0)),
            ("min_retries", with_min(integer(), 0.0)),
        ]);
        let mut clouds: Vec<&str> = crate::spec::schemas::ALL_CLOUDS.to_vec();
        clouds.extend(super::schema_workspaces::STORAGE_ONLY_CLOUDS);
        let mut admin_policy = string();
        admin_policy.any_of = vec![
            py_pattern(
                Schema::default(),
                r"^[a-zA-Z_][a-zA-Z0-9_]*(\.[a-zA-Z_][a-zA-Z0-9_]*)+$",
            ),
            py_pattern(Schema::default(), "^https?://.*$"),
        ];
        let mut props = vec![
            ("workspace", string()),
            ("db", string()),
            ("jobs", controller(vec![("status_check", status_check)])),
            ("serve", controller(vec![])),
            ("allowed_clouds", array(ci_enum(&clouds))),
            ("admin_policy", admin_policy),
            (
                "docker",
                strict_obj(vec![(
                    "run_options",
                    any_of(vec![string(), array(string())]),
                )]),
            ),
            ("nvidia_gpus", strict_obj(vec![("disable_ecc", boolean())])),
            ("api_server", api_server()),
            ("active_workspace", string()),
            ("workspaces", workspaces()),
            (
                "workspace_config",
                strict_obj(vec![("read_access", str_enum(&["allowed_users", "all"]))]),
            ),
            (
                "provision",
                strict_obj(vec![
                    ("ssh_timeout", with_min(integer(), 1.0)),
                    ("install_conda", boolean()),
                ]),
            ),
            ("rbac", rbac()),
            ("logs", logs()),
            ("daemons", daemons()),
            (
                "data",
                strict_obj(vec![(
                    "mount_cached",
                    strict_obj(vec![("sequential_upload", boolean())]),
                )]),
            ),
            ("dashboard", dashboard()),
            ("metrics", metrics()),
        ];
        props.extend(cloud_configs());
        props.push(("plugins", object()));
        strict_obj(props)
    })
}

/// `_filter_schema`: keeps only the properties along `keys`.
fn filter_schema(schema: &Schema, keys: &[&[&str]]) -> Schema {
    if keys.iter().all(|k| k.is_empty()) || schema.properties.is_empty() {
        return schema.clone();
    }
    // Combinators and `required` are dropped, as SkyPilot's filter does.
    let mut out = Schema {
        properties: Vec::new(),
        any_of: Vec::new(),
        one_of: Vec::new(),
        required: Vec::new(),
        ..schema.clone()
    };
    for (name, sub) in &schema.properties {
        let rest: Vec<&[&str]> = keys
            .iter()
            .filter(|k| k.first() == Some(name))
            .map(|k| &k[1..])
            .collect();
        if !rest.is_empty() {
            out.properties.push((name, filter_schema(sub, &rest)));
        }
    }
    out
}

/// The task YAML's `config:` block: the overrideable part of the config
/// schema plus `hooks`. A client lets other keys through to the server.
pub fn task_config_schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        let mut props = filter_schema(config_schema(), OVERRIDEABLE_CONFIG_KEYS_IN_TASK).properties;
        props.push(("hooks", hooks_schema()));
        open_obj(props)
    })
}
