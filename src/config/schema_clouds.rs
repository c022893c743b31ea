//! The per-cloud sections of the config schema (`aws:`, `kubernetes:`, ...),
//! in SkyPilot 0.14.1's order.

use super::schema::{cs_enum, in_order, min_len, not, py_pattern, requires, str_enum};
use crate::spec::schema::Schema;
use crate::spec::schemas::{
    TIME_PATTERN, any_of, array, boolean, ci_enum, integer, map_of, number, object, one_of,
    open_obj, pattern, required, strict_obj, string, ty, with_min,
};

type Props = Vec<(&'static str, Schema)>;

/// `_PROPERTY_NAME_OR_CLUSTER_NAME_TO_PROPERTY`: a name, or a list of
/// one-entry `{cluster-glob: name}` maps.
pub(crate) fn name_or_cluster_map() -> Schema {
    let mut entry = map_of(min_len(string(), 1));
    entry.max_properties = Some(1);
    entry.min_properties = Some(1);
    let entry = in_order(
        entry,
        &[
            "type",
            "additionalProperties",
            "maxProperties",
            "minProperties",
        ],
    );
    one_of(vec![min_len(string(), 1), array(entry)])
}

/// `_REMOTE_IDENTITY_SCHEMA`'s value.
pub(crate) fn remote_identity() -> Schema {
    ci_enum(&["LOCAL_CREDENTIALS", "SERVICE_ACCOUNT", "NO_UPLOAD"])
}

/// `_REMOTE_IDENTITY_SCHEMA_KUBERNETES`'s value.
pub(crate) fn remote_identity_k8s() -> Schema {
    any_of(vec![string(), map_of(string())])
}

/// `_CAPABILITIES_SCHEMA`'s value.
pub(crate) fn capabilities() -> Schema {
    array(ci_enum(&["compute", "storage"]))
}

/// A string list, or `all`.
pub(crate) fn list_or_all() -> Schema {
    one_of(vec![array(string()), py_pattern(string(), "^all$")])
}

/// `_SBATCH_OPTIONS_SCHEMA`.
pub(crate) fn sbatch_options() -> Schema {
    map_of(one_of(vec![
        py_pattern(string(), r"^[^\n]*$"),
        number(),
        boolean(),
        ty(&["null"]),
    ]))
}

/// `_SLURM_QUOTA_SCHEMA`.
pub(crate) fn slurm_quota() -> Schema {
    open_obj(vec![
        ("queue", min_len(string(), 1)),
        ("account", min_len(string(), 1)),
    ])
}

fn string_or_null() -> Schema {
    one_of(vec![string(), ty(&["null"])])
}

fn names() -> Schema {
    one_of(vec![string(), ty(&["null"]), array(string())])
}

fn network(props: &mut Props) {
    props.push(("use_internal_ips", boolean()));
    props.push((
        "ssh_proxy_command",
        one_of(vec![
            string(),
            ty(&["null"]),
            map_of(any_of(vec![string(), ty(&["null"])])),
        ]),
    ));
}

/// `_check_not_both_fields_present('instance_tags', 'labels')`.
fn tags_or_labels(mut s: Schema) -> Schema {
    let either = any_of(vec![requires(&["instance_tags"]), requires(&["labels"])]);
    s.one_of = vec![
        not(
            requires(&["instance_tags"]),
            requires(&["labels"]),
            "{'required': ['labels']}",
        ),
        not(
            requires(&["labels"]),
            requires(&["instance_tags"]),
            "{'required': ['instance_tags']}",
        ),
        not(
            Schema::default(),
            either,
            "{'anyOf': [{'required': ['instance_tags']}, {'required': ['labels']}]}",
        ),
    ];
    s
}

/// The tail AWS, GCP and Azure share: network settings, `remote_identity`
/// and the `instance_tags`/`labels` check.
fn vm_cloud(mut props: Props, remote_identity: Schema) -> Schema {
    network(&mut props);
    props.push(("remote_identity", remote_identity));
    tags_or_labels(strict_obj(props))
}

fn aws() -> Schema {
    let mut enforce = array(cs_enum(&["instance", "volume"]));
    enforce.unique_items = true;
    let props: Props = vec![
        ("prioritize_reservations", boolean()),
        ("specific_reservations", array(string())),
        ("disk_encrypted", boolean()),
        ("ssh_user", string()),
        ("security_group_name", name_or_cluster_map()),
        ("vpc_name", string_or_null()),
        ("vpc_names", names()),
        ("subnet_names", names()),
        ("use_ssm", boolean()),
        (
            "post_provision_runcmd",
            array(one_of(vec![string(), array(string())])),
        ),
        (
            "enforce_tags",
            in_order(enforce, &["type", "uniqueItems", "items"]),
        ),
        ("capabilities", capabilities()),
        ("labels", map_of(string())),
    ];
    vm_cloud(props, name_or_cluster_map())
}

fn gcp() -> Schema {
    let props: Props = vec![
        ("prioritize_reservations", boolean()),
        ("specific_reservations", array(string())),
        (
            "managed_instance_group",
            required(
                strict_obj(vec![
                    ("run_duration", integer()),
                    ("provision_timeout", integer()),
                ]),
                &["run_duration"],
            ),
        ),
        ("force_enable_external_ips", boolean()),
        ("enable_gvnic", boolean()),
        ("enable_gpu_direct", boolean()),
        ("placement_policy", string()),
        (
            "vpc_name",
            one_of(vec![
                py_pattern(string(), "^(?:[-a-z0-9]+/)?[-a-z0-9]+$"),
                ty(&["null"]),
            ]),
        ),
        ("subnet_names", names()),
        ("capabilities", capabilities()),
        ("labels", map_of(string())),
    ];
    vm_cloud(props, remote_identity())
}

fn azure() -> Schema {
    let props: Props = vec![
        ("storage_account", string()),
        ("resource_group_vm", string()),
        ("vpc_name", string_or_null()),
        ("labels", map_of(string())),
        ("capabilities", capabilities()),
    ];
    vm_cloud(props, name_or_cluster_map())
}

/// `_CONTEXT_CONFIG_SCHEMA_MINIMAL`.
fn context_minimal() -> Props {
    let custom_metadata = not(
        object(),
        any_of(vec![requires(&["name"]), requires(&["namespace"])]),
        "{'anyOf': [{'required': ['name']}, {'required': ['namespace']}]}",
    );
    vec![
        ("pod_config", object()),
        ("provision_timeout", integer()),
        ("max_inline_command_length", with_min(integer(), 1024.0)),
        ("custom_metadata", custom_metadata),
    ]
}

/// `_PRICING_SCHEMA`.
fn pricing() -> Schema {
    strict_obj(vec![
        ("cpu", with_min(number(), 0.0)),
        ("memory", with_min(number(), 0.0)),
        ("accelerators", map_of(with_min(number(), 0.0))),
    ])
}

/// `_CONTEXT_CONFIG_SCHEMA_KUBERNETES`.
fn context_kubernetes() -> Props {
    let mut mount_paths = array(py_pattern(string(), "^(/|~/|~$)"));
    mount_paths.min_items = Some(1);
    let auto_mount = required(
        strict_obj(vec![
            ("volume_name", string()),
            ("mount_paths", mount_paths),
            ("scope", str_enum(&["personal", "workspace", "global"])),
        ]),
        &["volume_name", "mount_paths"],
    );
    let mut props: Props = vec![
        (
            "allowed_nodes",
            strict_obj(vec![
                ("label_selector", map_of(string())),
                ("names", array(string())),
                ("ips", array(string())),
            ]),
        ),
        (
            "rdma",
            strict_obj(vec![
                ("mode", ci_enum(&["sriov"])),
                ("resource", string()),
                ("networks", string()),
            ]),
        ),
        ("networking", ci_enum(&["nodeport", "portforward"])),
        ("ports", ci_enum(&["ingress", "loadbalancer", "podip"])),
    ];
    props.extend(context_minimal());
    props.extend(vec![
        ("namespace", string()),
        (
            "autoscaler",
            ci_enum(&["gke", "karpenter", "coreweave", "nebius", "generic"]),
        ),
        (
            "high_availability",
            strict_obj(vec![("storage_class_name", string())]),
        ),
        (
            "kueue",
            strict_obj(vec![
                ("local_queue_name", string()),
                ("admission_timeout", integer()),
            ]),
        ),
        ("quota", open_obj(vec![("queue", string())])),
        (
            "dws",
            strict_obj(vec![
                ("enabled", boolean()),
                (
                    "max_run_duration",
                    any_of(vec![pattern(string(), TIME_PATTERN), integer()]),
                ),
            ]),
        ),
        ("remote_identity", string()),
        ("post_provision_runcmd", array(string())),
        (
            "apt_mirrors",
            array(py_pattern(string(), "^[a-zA-Z0-9.-]+$")),
        ),
        (
            "set_pod_resource_limits",
            one_of(vec![boolean(), with_min(number(), 1.0)]),
        ),
        ("pricing", pricing()),
        ("auto_mounts", array(auto_mount)),
        (
            "enable_docker",
            one_of(vec![
                boolean(),
                str_enum(&["ALL", "BUILD"]),
                required(
                    strict_obj(vec![
                        ("mode", str_enum(&["ALL", "BUILD"])),
                        ("cache_volume", string()),
                    ]),
                    &["mode"],
                ),
            ]),
        ),
    ]);
    props
}

fn kubernetes() -> Schema {
    let mut props: Props = vec![
        ("allowed_contexts", list_or_all()),
        ("context_configs", map_of(open_obj(context_kubernetes()))),
    ];
    props.extend(context_kubernetes());
    // The cloud-level `remote_identity` is replaced in place (dict.update).
    for (k, v) in props.iter_mut() {
        if *k == "remote_identity" {
            *v = remote_identity_k8s();
        }
    }
    // A client lets plugin-registered keys through.
    open_obj(props)
}

fn ssh() -> Schema {
    let mut props: Props = vec![
        ("allowed_node_pools", array(string())),
        ("context_configs", map_of(strict_obj(context_minimal()))),
    ];
    props.extend(context_minimal());
    props.push(("remote_identity", remote_identity()));
    strict_obj(props)
}

fn username_map() -> Schema {
    let mut s = map_of(py_pattern(string(), "^[a-z_][a-z0-9_.-]*$"));
    s.property_names = Some(Box::new(Schema {
        min_length: Some(1),
        ..Schema::default()
    }));
    in_order(s, &["type", "propertyNames", "additionalProperties"])
}

fn gpu_partition_map() -> Schema {
    map_of(any_of(vec![string(), array(string())]))
}

fn container_mounts() -> Schema {
    map_of(any_of(vec![
        string(),
        required(
            strict_obj(vec![
                ("host_path", string()),
                ("mode", str_enum(&["ro", "rw"])),
            ]),
            &["host_path"],
        ),
    ]))
}

fn slurm() -> Schema {
    let partition = strict_obj(vec![
        ("pricing", pricing()),
        ("sbatch_options", sbatch_options()),
        ("quota", slurm_quota()),
    ]);
    let cluster = open_obj(vec![
        ("workdir", string()),
        ("tmpdir", string()),
        ("submit_as_user", boolean()),
        ("username_map", username_map()),
        (
            "prometheus",
            strict_obj(vec![
                ("url", string()),
                ("filter", map_of(string())),
                ("via", string()),
            ]),
        ),
        ("prometheus_url", string()),
        ("pricing", pricing()),
        ("sbatch_options", sbatch_options()),
        ("quota", slurm_quota()),
        ("gpu_partition_map", gpu_partition_map()),
        ("cpu_partition", string()),
        ("container_mounts", container_mounts()),
        ("partition_configs", map_of(partition)),
    ]);
    open_obj(vec![
        ("allowed_clusters", list_or_all()),
        ("provision_timeout", integer()),
        ("submit_as_user", boolean()),
        ("username_map", username_map()),
        ("pricing", pricing()),
        ("sbatch_options", sbatch_options()),
        ("quota", slurm_quota()),
        ("gpu_partition_map", gpu_partition_map()),
        ("cpu_partition", string()),
        ("container_mounts", container_mounts()),
        (
            "prometheus",
            strict_obj(vec![("url", string()), ("via", string())]),
        ),
        ("cluster_configs", map_of(cluster)),
        ("remote_identity", remote_identity()),
    ])
}

fn oci() -> Schema {
    let region = strict_obj(vec![
        ("compartment_ocid", string()),
        ("image_tag_general", string()),
        ("image_tag_gpu", string()),
        ("vcn_ocid", string()),
        ("vcn_subnet", string()),
    ]);
    open_obj(vec![
        ("region_configs", map_of(region)),
        ("remote_identity", remote_identity()),
    ])
}

fn vast() -> Schema {
    strict_obj(vec![
        ("datacenter_only", boolean()),
        ("create_instance_kwargs", object()),
        ("remote_identity", remote_identity()),
    ])
}

fn nebius() -> Schema {
    let filesystem = strict_obj(vec![
        ("filesystem_id", string()),
        ("attach_mode", cs_enum(&["READ_WRITE", "READ_ONLY"])),
        ("mount_path", string()),
    ]);
    let region = strict_obj(vec![
        ("project_id", string()),
        ("subnet_id", string()),
        ("fabric", string()),
        ("disk_encrypted", boolean()),
        ("filesystems", array(filesystem)),
    ]);
    let mut props = Props::new();
    network(&mut props);
    props.extend(vec![
        ("use_static_ip_address", boolean()),
        ("disk_encrypted", boolean()),
        ("tenant_id", string()),
        ("domain", string()),
        ("use_personal_pricing", boolean()),
        ("security_group_name", name_or_cluster_map()),
        ("region_configs", map_of(region)),
        ("remote_identity", remote_identity()),
    ]);
    open_obj(props)
}

/// The cloud sections, keyed by cloud, in SkyPilot's order.
pub fn cloud_configs() -> Props {
    vec![
        ("aws", aws()),
        ("gcp", gcp()),
        ("azure", azure()),
        ("kubernetes", kubernetes()),
        ("ssh", ssh()),
        ("slurm", slurm()),
        ("oci", oci()),
        ("vast", vast()),
        ("nebius", nebius()),
    ]
}
