//! Storage enums and per-mount settings (`sky.StoreType`, `sky.StorageMode`,
//! `sky.FileMountType`, `MountCachedConfig`, `MountConfig`) with SkyPilot
//! 0.14.1's values, URL prefixes, cloud names and rclone presets.

use crate::error::{Error, Result};
use crate::yaml::{Map, Value, py_float_repr};

/// Defines a fieldless enum whose members carry SkyPilot's value strings.
macro_rules! value_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $value:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $(#[doc = $value] $variant),+
        }

        impl $name {
            /// Every member in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The member's value (`member.value` in Python).
            pub fn value(self) -> &'static str {
                match self {
                    $($name::$variant => $value),+
                }
            }

            /// The member with this exact value.
            pub fn from_value(value: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|m| m.value() == value)
            }
        }
    };
}

value_enum!(
    /// Bucket backends (`sky.StoreType`).
    StoreType {
        S3 => "S3",
        Gcs => "GCS",
        Azure => "AZURE",
        R2 => "R2",
        Ibm => "IBM",
        Oci => "OCI",
        Nebius => "NEBIUS",
        Coreweave => "COREWEAVE",
        Vastdata => "VASTDATA",
        Hf => "HF",
        Volume => "VOLUME",
    }
);

value_enum!(
    /// How a bucket appears on the nodes (`sky.StorageMode`).
    StorageMode {
        Mount => "MOUNT",
        Copy => "COPY",
        MountCached => "MOUNT_CACHED",
    }
);

value_enum!(
    /// Access-pattern presets for MOUNT_CACHED (`sky.FileMountType`).
    FileMountType {
        ModelCheckpointRo => "MODEL_CHECKPOINT_RO",
        ModelCheckpointRw => "MODEL_CHECKPOINT_RW",
        DatasetRo => "DATASET_RO",
        DatasetRw => "DATASET_RW",
    }
);

/// S3-compatible stores in SkyPilot's registry order: URL prefix and cloud.
const S3_COMPATIBLE: &[(StoreType, &str, &str)] = &[
    (StoreType::S3, "s3://", "AWS"),
    (StoreType::R2, "r2://", "Cloudflare"),
    (StoreType::Nebius, "nebius://", "Nebius"),
    (StoreType::Coreweave, "cw://", "CoreWeave"),
    (StoreType::Vastdata, "vastdata://", "VastData"),
];

/// Stores with their own classes: URL prefix and cloud display name.
const OTHER_STORES: &[(StoreType, &str, &str)] = &[
    (StoreType::Gcs, "gs://", "GCP"),
    (StoreType::Azure, "https://", "Azure"),
    (StoreType::Ibm, "cos://", "IBM"),
    (StoreType::Oci, "oci://", "OCI"),
    (StoreType::Hf, "hf://buckets/", "HuggingFace"),
];

impl StoreType {
    fn entry(self) -> Result<&'static (StoreType, &'static str, &'static str)> {
        S3_COMPATIBLE
            .iter()
            .chain(OTHER_STORES)
            .find(|(t, _, _)| *t == self)
            .ok_or_else(|| Error::value(format!("Unknown store type: StoreType.{}", self.value())))
    }

    /// `StoreType.store_prefix()`: the URL scheme of this store's buckets.
    pub fn store_prefix(self) -> Result<&'static str> {
        self.entry().map(|(_, prefix, _)| *prefix)
    }

    /// `StoreType.to_cloud()`: the cloud's display name.
    pub fn to_cloud(self) -> Result<&'static str> {
        self.entry().map(|(_, _, cloud)| *cloud)
    }

    /// `StoreType.from_cloud(cloud)` (case-insensitive).
    pub fn from_cloud(cloud: &str) -> Result<StoreType> {
        let lower = cloud.to_lowercase();
        match lower.as_str() {
            "lambda" => return Err(Error::value("Lambda Cloud does not provide cloud storage.")),
            "scp" => return Err(Error::value("SCP does not provide cloud storage.")),
            _ => {}
        }
        OTHER_STORES
            .iter()
            .chain(S3_COMPATIBLE)
            .find(|(_, _, name)| name.to_lowercase() == lower)
            .map(|(t, _, _)| *t)
            .ok_or_else(|| Error::value(format!("Unsupported cloud for StoreType: {cloud}")))
    }

    /// `StoreType.find_s3_compatible_config_by_prefix(source)`.
    pub fn s3_compatible_by_prefix(source: &str) -> Option<StoreType> {
        S3_COMPATIBLE
            .iter()
            .find(|(_, prefix, _)| source.starts_with(prefix))
            .map(|(t, _, _)| *t)
    }
}

/// `MountCachedConfig`'s fields in dataclass order.
pub const MOUNT_CACHED_FIELDS: &[&str] = &[
    "transfers",
    "buffer_size",
    "vfs_cache_max_size",
    "vfs_cache_max_age",
    "vfs_read_ahead",
    "vfs_read_chunk_size",
    "vfs_read_chunk_streams",
    "vfs_write_back",
    "read_only",
];

/// `MountConfig`'s fields in dataclass order.
pub const MOUNT_FIELDS: &[&str] = &["read_only", "hf_mount_args"];

/// A dataclass's `to_yaml_config()`: the non-None fields in field order.
pub fn fields_config(config: &Map, fields: &[&str]) -> Map {
    let mut out = Map::new();
    for f in fields {
        if let Some(v) = config.get(f).filter(|v| !v.is_null()) {
            out.insert(*f, v.clone());
        }
    }
    out
}

/// `merge_mount_cached_config(type, overrides)`: the type's preset with the
/// non-None override fields on top, in field order.
pub fn merge_mount_cached_config(t: FileMountType, overrides: Option<&Map>) -> Map {
    let (streams, chunk, extra): (i64, &str, (&str, Value)) = match t {
        FileMountType::ModelCheckpointRo => (16, "32M", ("read_only", Value::Bool(true))),
        FileMountType::ModelCheckpointRw => (16, "32M", ("transfers", Value::Int(8))),
        FileMountType::DatasetRo => (0, "8M", ("read_only", Value::Bool(true))),
        FileMountType::DatasetRw => (0, "8M", ("transfers", Value::Int(16))),
    };
    let mut base = Map::new();
    base.insert("vfs_read_chunk_streams", streams);
    base.insert("vfs_read_chunk_size", chunk);
    base.insert(extra.0, extra.1);
    for (k, v) in overrides.into_iter().flat_map(|m| m.iter()) {
        if !v.is_null() {
            base.insert(k.clone(), v.clone());
        }
    }
    fields_config(&base, MOUNT_CACHED_FIELDS)
}

/// `MountCachedConfig.to_rclone_flags()`.
pub fn rclone_flags(config: &Map) -> String {
    let get = |k: &str| config.get(k).filter(|v| !v.is_null());
    let upper = |k: &str| get(k).map(|v| v.py_str().to_uppercase());
    let mut flags = Vec::new();
    if let Some(t) = get("transfers") {
        flags.push(format!("--transfers {}", t.py_str()));
        flags.push(format!("--checkers {}", checkers(t)));
    }
    if let Some(b) = upper("buffer_size") {
        flags.push(format!("--buffer-size {b}"));
    }
    flags.push(format!(
        "--vfs-cache-max-size {}",
        upper("vfs_cache_max_size").unwrap_or_else(|| "10G".into())
    ));
    if let Some(a) = get("vfs_cache_max_age") {
        flags.push(format!("--vfs-cache-max-age {}", a.py_str()));
    }
    if let Some(r) = upper("vfs_read_ahead") {
        flags.push(format!("--vfs-read-ahead {r}"));
    }
    if let Some(c) = upper("vfs_read_chunk_size") {
        flags.push(format!("--vfs-read-chunk-size {c}"));
    }
    if let Some(s) = get("vfs_read_chunk_streams") {
        flags.push(format!("--vfs-read-chunk-streams {}", s.py_str()));
    }
    let write_back = get("vfs_write_back")
        .filter(|v| v.truthy())
        .map_or_else(|| "1s".to_string(), Value::py_str);
    flags.push(format!("--vfs-write-back {write_back}"));
    if get("read_only").is_some_and(Value::truthy) {
        flags.push("--read-only".into());
    }
    flags.join(" ")
}

/// `max(min(transfers * 2, 30 + transfers * 1.2), 4)` printed as Python
/// prints the winner (an int, or a float such as `150.0`).
fn checkers(transfers: &Value) -> String {
    let t = match transfers {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        _ => return "4".into(),
    };
    let doubled = match transfers {
        Value::Int(i) => Value::Int(i * 2),
        _ => Value::Float(t * 2.0),
    };
    let scaled = 30.0 + t * 1.2;
    let as_f64 = |v: &Value| match v {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        _ => 0.0,
    };
    let smaller = if scaled < as_f64(&doubled) {
        Value::Float(scaled)
    } else {
        doubled
    };
    if 4.0 > as_f64(&smaller) {
        return "4".into();
    }
    match smaller {
        Value::Float(f) => py_float_repr(f),
        other => other.py_str(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_and_clouds() {
        assert_eq!(StoreType::Hf.store_prefix().ok(), Some("hf://buckets/"));
        assert_eq!(StoreType::R2.to_cloud().ok(), Some("Cloudflare"));
        assert_eq!(
            StoreType::Volume.store_prefix().map_err(|e| e.message),
            Err("Unknown store type: StoreType.VOLUME".into())
        );
        assert_eq!(StoreType::from_cloud("AWS").ok(), Some(StoreType::S3));
        assert_eq!(
            StoreType::s3_compatible_by_prefix("cw://x"),
            Some(StoreType::Coreweave)
        );
        assert_eq!(StoreType::s3_compatible_by_prefix("oci://x"), None);
    }

    #[test]
    fn rclone_flags_match_skypilot() {
        assert_eq!(
            rclone_flags(&Map::new()),
            "--vfs-cache-max-size 10G --vfs-write-back 1s"
        );
        let mut m = Map::new();
        m.insert("transfers", 100);
        assert!(rclone_flags(&m).starts_with("--transfers 100 --checkers 150.0 "));
        m.insert("transfers", 1);
        assert!(rclone_flags(&m).starts_with("--transfers 1 --checkers 4 "));
    }
}
