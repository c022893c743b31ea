//! Storage mounts in `file_mounts:` (`sky.Storage` specs): validated and
//! printed back as SkyPilot's `Storage.to_yaml_config` does.

use crate::error::{Error, ErrorKind, Result};
use crate::spec::resources_yaml::validate_schema;
use crate::spec::schemas;
use crate::yaml::{Map, Value};

/// URL schemes SkyPilot treats as cloud storage.
const CLOUD_PREFIXES: &[&str] = &[
    "s3://",
    "gs://",
    "r2://",
    "cos://",
    "oci://",
    "nebius://",
    "cw://",
    "vastdata://",
    "hf://",
    "https://",
];

/// Whether a path is a bucket URL (`data_utils.is_cloud_store_url`).
pub fn is_cloud_store_url(s: &str) -> bool {
    CLOUD_PREFIXES
        .iter()
        .any(|p| s.starts_with(p) && (*p != "https://" || s.contains(".blob.core.windows.net")))
}

/// A storage mount's spec, in SkyPilot's normalised order.
#[derive(Debug, Clone, PartialEq)]
pub struct StorageSpec {
    pub name: Option<String>,
    pub source: Option<Value>,
    pub store: Option<String>,
    pub is_sky_managed: Option<bool>,
    pub persistent: bool,
    pub mode: String,
    pub file_mount_type: Option<String>,
    pub force_delete: bool,
    pub bucket_sub_path: Option<String>,
    pub config: Map,
}

impl StorageSpec {
    /// `Storage.from_yaml_config`.
    pub fn from_yaml_config(config: &Value) -> Result<StorageSpec> {
        validate_schema(config, schemas::storage(), "Invalid storage YAML: ", true)?;
        let c = config.as_map().cloned().unwrap_or_default();
        let get = |k: &str| c.get(k).filter(|v| !v.is_null()).cloned();
        let mode = get("mode")
            .map(|m| m.py_str().to_uppercase())
            .unwrap_or_else(|| "MOUNT".into());
        let file_mount_type = get("type").map(|t| t.py_str().to_uppercase());
        let storage_config = get("config")
            .and_then(|v| v.as_map().cloned())
            .unwrap_or_default();
        let mut config = Map::new();
        for key in ["mount_cached", "mount"] {
            if let Some(Value::Map(m)) = storage_config.get(key) {
                let kept = Map(m.iter().filter(|(_, v)| !v.is_null()).cloned().collect());
                if !kept.is_empty() {
                    config.insert(key, Value::Map(kept));
                }
            }
        }
        if file_mount_type.is_some() && mode != "MOUNT_CACHED" {
            return Err(Error::new(
                ErrorKind::StorageSpec,
                "The `type` field is only supported with mode MOUNT_CACHED.",
            ));
        }
        if config.contains("mount_cached") && mode != "MOUNT_CACHED" {
            return Err(Error::new(
                ErrorKind::StorageSpec,
                "`config.mount_cached` is only supported with mode MOUNT_CACHED.",
            ));
        }
        if config.contains("mount") && mode != "MOUNT" {
            return Err(Error::new(
                ErrorKind::StorageSpec,
                "`config.mount` is only supported with mode MOUNT.",
            ));
        }
        let spec = StorageSpec {
            name: get("name").map(|v| v.py_str()),
            source: get("source"),
            store: get("store").map(|s| s.py_str().to_uppercase()),
            is_sky_managed: get("_is_sky_managed").map(|v| v.truthy()),
            persistent: get("persistent").is_none_or(|v| v.truthy()),
            mode,
            file_mount_type,
            force_delete: get("_force_delete").is_some_and(|v| v.truthy()),
            bucket_sub_path: get("_bucket_sub_path")
                .map(|v| v.py_str().trim_matches('/').to_string()),
            config,
        };
        Ok(spec)
    }

    /// Whether the mode needs FUSE on the node (MOUNT, MOUNT_CACHED).
    pub fn is_mountable(&self) -> bool {
        self.mode == "MOUNT" || self.mode == "MOUNT_CACHED"
    }

    /// `Storage.to_yaml_config()`.
    pub fn to_yaml_config(&self) -> Map {
        let mut c = Map::new();
        let source_is_url = matches!(&self.source, Some(Value::Str(s)) if is_cloud_store_url(s));
        if !source_is_url {
            if let Some(n) = &self.name {
                c.insert("name", n.as_str());
            }
        }
        if let Some(s) = &self.source {
            c.insert("source", s.clone());
        }
        if let Some(s) = &self.store {
            c.insert("store", s.as_str());
        }
        if let Some(m) = self.is_sky_managed {
            c.insert("_is_sky_managed", m);
        }
        c.insert("persistent", self.persistent);
        c.insert("mode", self.mode.as_str());
        if let Some(t) = &self.file_mount_type {
            c.insert("type", t.as_str());
        }
        if self.force_delete {
            c.insert("_force_delete", true);
        }
        if let Some(p) = &self.bucket_sub_path {
            c.insert("_bucket_sub_path", p.as_str());
        }
        if !self.config.is_empty() {
            c.insert("config", Value::Map(self.config.clone()));
        }
        c
    }
}
