//! The `workspaces:` section of the config schema: per-workspace cloud
//! settings, with SkyPilot 0.14.1's keyword order.

use super::schema::{in_order, py_pattern, str_enum};
use super::schema_clouds::{
    capabilities, list_or_all, name_or_cluster_map, remote_identity, remote_identity_k8s,
    sbatch_options, slurm_quota,
};
use crate::spec::schema::Schema;
use crate::spec::schemas::{
    ALL_CLOUDS, array, boolean, integer, map_of, open_obj, strict_obj, string,
};

/// `constants.STORAGE_ONLY_CLOUDS`.
pub const STORAGE_ONLY_CLOUDS: &[&str] = &["cloudflare", "coreweave", "vastdata", "huggingface"];

/// Clouds whose workspace entry has its own settings; the rest only take
/// `disabled`.
const WORKSPACE_CLOUDS: &[&str] = &["aws", "gcp", "kubernetes", "ssh", "nebius", "slurm"];

/// Keyword order of an object schema that lists `properties` before
/// `additionalProperties`.
const PROPS_FIRST: &[&str] = &["type", "required", "properties", "additionalProperties"];

fn props_first(props: Vec<(&'static str, Schema)>) -> Schema {
    in_order(strict_obj(props), PROPS_FIRST)
}

fn kubernetes() -> Schema {
    let context = open_obj(vec![
        ("namespace", string()),
        ("kueue", strict_obj(vec![("local_queue_name", string())])),
        ("quota", open_obj(vec![("queue", string())])),
        ("remote_identity", remote_identity_k8s()),
    ]);
    // A client lets plugin-registered keys through.
    open_obj(vec![
        ("allowed_contexts", list_or_all()),
        ("disabled", boolean()),
        ("namespace", string()),
        (
            "kueue",
            strict_obj(vec![
                ("local_queue_name", string()),
                ("admission_timeout", integer()),
            ]),
        ),
        ("quota", open_obj(vec![("queue", string())])),
        ("context_configs", map_of(context)),
        ("remote_identity", remote_identity_k8s()),
    ])
}

fn slurm() -> Schema {
    let partition = strict_obj(vec![
        ("sbatch_options", sbatch_options()),
        ("quota", slurm_quota()),
    ]);
    let cluster = strict_obj(vec![
        ("sbatch_options", sbatch_options()),
        ("quota", slurm_quota()),
        ("partition_configs", map_of(partition)),
    ]);
    strict_obj(vec![
        ("disabled", boolean()),
        ("allowed_clusters", list_or_all()),
        ("sbatch_options", sbatch_options()),
        ("quota", slurm_quota()),
        ("cluster_configs", map_of(cluster)),
    ])
}

/// The schema of one workspace (`workspaces.<name>`).
fn workspace() -> Schema {
    let others: Vec<&str> = ALL_CLOUDS
        .iter()
        .chain(STORAGE_ONLY_CLOUDS)
        .copied()
        .filter(|c| !WORKSPACE_CLOUDS.contains(c))
        .collect();
    let others_re = format!("^({})$", others.join("|"));
    let disabled_only = strict_obj(vec![("disabled", boolean())]);
    let regex = py_pattern(Schema::default(), &others_re)
        .pattern
        .map(|(_, re)| re);
    let mut ws = strict_obj(vec![
        ("private", boolean()),
        ("allowed_users", array(string())),
        ("read_access", str_enum(&["allowed_users", "all"])),
        (
            "gcp",
            props_first(vec![
                ("project_id", string()),
                ("disabled", boolean()),
                ("capabilities", capabilities()),
                ("remote_identity", remote_identity()),
            ]),
        ),
        (
            "aws",
            props_first(vec![
                ("profile", string()),
                ("disabled", boolean()),
                ("capabilities", capabilities()),
                ("remote_identity", name_or_cluster_map()),
            ]),
        ),
        (
            "ssh",
            props_first(vec![
                ("allowed_node_pools", array(string())),
                ("disabled", boolean()),
            ]),
        ),
        ("kubernetes", kubernetes()),
        ("slurm", slurm()),
        (
            "nebius",
            props_first(vec![
                ("credentials_file_path", string()),
                ("tenant_id", string()),
                ("domain", string()),
                ("disabled", boolean()),
            ]),
        ),
    ]);
    if let Some(re) = regex {
        ws.pattern_properties = vec![(others_re, re, disabled_only)];
    }
    in_order(
        ws,
        &[
            "type",
            "additionalProperties",
            "patternProperties",
            "properties",
        ],
    )
}

/// `workspaces:`: workspace name -> its settings.
pub fn workspaces() -> Schema {
    map_of(workspace())
}
