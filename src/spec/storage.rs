//! `sky.Storage` as plain data: built from constructor arguments or a
//! `file_mounts:` mapping, checked and printed back as SkyPilot 0.14.1's
//! `Storage.__init__`, `from_yaml_config` and `to_yaml_config` do.

use crate::error::{Error, ErrorKind, Result};
use crate::spec::data_utils::is_cloud_store_url;
use crate::spec::resources_yaml::validate_schema;
use crate::spec::schemas;
use crate::spec::storage_types::{
    FileMountType, MOUNT_CACHED_FIELDS, MOUNT_FIELDS, StorageMode, StoreType, fields_config,
    merge_mount_cached_config,
};
use crate::yaml::{Map, Value};

/// A storage object's spec (no bucket has been touched).
#[derive(Debug, Clone, PartialEq)]
pub struct StorageSpec {
    pub name: Option<String>,
    /// A path or URL string, or a list of local paths.
    pub source: Option<Value>,
    /// Store types asked for, in order (`Storage.stores` keys).
    pub stores: Vec<StoreType>,
    /// `None` only when the constructor was given `persistent=None`.
    pub persistent: Option<bool>,
    pub mode: StorageMode,
    pub sync_on_reconstruction: bool,
    pub is_sky_managed: Option<bool>,
    pub bucket_sub_path: Option<String>,
    pub force_delete: bool,
    /// `MountCachedConfig` fields as given (`Some` even when all are None).
    pub mount_cached_config: Option<Map>,
    pub file_mount_type: Option<FileMountType>,
    /// `MountConfig` fields as given.
    pub mount_config: Option<Map>,
}

impl Default for StorageSpec {
    fn default() -> Self {
        StorageSpec {
            name: None,
            source: None,
            stores: Vec::new(),
            persistent: Some(true),
            mode: StorageMode::Mount,
            sync_on_reconstruction: true,
            is_sky_managed: None,
            bucket_sub_path: None,
            force_delete: false,
            mount_cached_config: None,
            file_mount_type: None,
            mount_config: None,
        }
    }
}

fn spec_error(message: String) -> Error {
    Error::new(ErrorKind::StorageSpec, message)
}

impl StorageSpec {
    /// The checks `Storage.__init__` makes: per-mode settings need their
    /// mode.
    pub fn check_mode_settings(&self) -> Result<()> {
        let mode = self.mode.value();
        if self.file_mount_type.is_some() && self.mode != StorageMode::MountCached {
            return Err(spec_error(format!(
                "type can only be specified when mode is MOUNT_CACHED. Got mode={mode}."
            )));
        }
        if self.mount_cached_config.is_some() && self.mode != StorageMode::MountCached {
            return Err(spec_error(format!(
                "config.mount_cached can only be specified when mode is MOUNT_CACHED. Got mode={mode}."
            )));
        }
        if self.mount_config.is_some() && self.mode != StorageMode::Mount {
            return Err(spec_error(format!(
                "config.mount can only be specified when mode is MOUNT. Got mode={mode}."
            )));
        }
        Ok(())
    }

    /// `Storage.from_yaml_config(config)`.
    pub fn from_yaml_config(config: &Value) -> Result<StorageSpec> {
        validate_schema(config, schemas::storage(), "Invalid storage YAML: ", true)?;
        let c = config.as_map().cloned().unwrap_or_default();
        let get = |k: &str| c.get(k).filter(|v| !v.is_null());
        let upper = |k: &str| match get(k) {
            Some(Value::Str(s)) => Some(s.to_uppercase()),
            _ => None,
        };
        let mode = match upper("mode") {
            Some(m) => StorageMode::from_value(&m)
                .ok_or_else(|| Error::value(format!("'{m}' is not a valid StorageMode")))?,
            None => StorageMode::Mount,
        };
        let file_mount_type = upper("type")
            .map(|t| {
                FileMountType::from_value(&t)
                    .ok_or_else(|| Error::value(format!("'{t}' is not a valid FileMountType")))
            })
            .transpose()?;
        let stores = match get("store") {
            Some(s) => {
                let s = s.py_str().to_uppercase();
                vec![
                    StoreType::from_value(&s)
                        .ok_or_else(|| Error::value(format!("'{s}' is not a valid StoreType")))?,
                ]
            }
            None => Vec::new(),
        };
        let settings = get("config").and_then(Value::as_map);
        let section = |k: &str| {
            settings
                .and_then(|s| s.get(k))
                .filter(|v| !v.is_null())
                .map(|v| v.as_map().cloned().unwrap_or_default())
        };
        let spec = StorageSpec {
            name: get("name").map(Value::py_str),
            source: get("source").cloned(),
            stores,
            persistent: Some(get("persistent").is_none_or(Value::truthy)),
            mode,
            sync_on_reconstruction: true,
            is_sky_managed: get("_is_sky_managed").map(Value::truthy),
            bucket_sub_path: get("_bucket_sub_path").map(Value::py_str),
            force_delete: get("_force_delete").is_some_and(Value::truthy),
            mount_cached_config: section("mount_cached"),
            file_mount_type,
            mount_config: section("mount"),
        };
        spec.check_mode_settings()?;
        Ok(spec)
    }

    /// Whether the mode needs FUSE on the node (`MOUNTABLE_STORAGE_MODES`).
    pub fn is_mountable(&self) -> bool {
        matches!(self.mode, StorageMode::Mount | StorageMode::MountCached)
    }

    /// `Storage.resolve_mount_cached_config()`: the type's preset merged
    /// with the explicit settings, or the settings as given.
    pub fn resolve_mount_cached_config(&self) -> Option<Map> {
        match self.file_mount_type {
            Some(t) => Some(merge_mount_cached_config(
                t,
                self.mount_cached_config.as_ref(),
            )),
            None => self.mount_cached_config.clone(),
        }
    }

    /// `Storage.to_yaml_config()`.
    pub fn to_yaml_config(&self) -> Map {
        let mut c = Map::new();
        let source_is_url = matches!(&self.source, Some(Value::Str(s)) if is_cloud_store_url(s));
        if let Some(n) = self.name.as_ref().filter(|_| !source_is_url) {
            c.insert("name", n.as_str());
        }
        if let Some(s) = &self.source {
            c.insert("source", s.clone());
        }
        if !self.stores.is_empty() {
            let joined: Vec<&str> = self.stores.iter().map(|s| s.value()).collect();
            c.insert("store", joined.join(","));
        }
        if let Some(m) = self.is_sky_managed {
            c.insert("_is_sky_managed", m);
        }
        if let Some(p) = self.persistent {
            c.insert("persistent", p);
        }
        c.insert("mode", self.mode.value());
        if let Some(t) = self.file_mount_type {
            c.insert("type", t.value());
        }
        if self.force_delete {
            c.insert("_force_delete", true);
        }
        if let Some(p) = &self.bucket_sub_path {
            c.insert("_bucket_sub_path", p.as_str());
        }
        let mut settings = Map::new();
        for (key, config, fields) in [
            (
                "mount_cached",
                &self.mount_cached_config,
                MOUNT_CACHED_FIELDS,
            ),
            ("mount", &self.mount_config, MOUNT_FIELDS),
        ] {
            let kept = config
                .as_ref()
                .map(|m| fields_config(m, fields))
                .unwrap_or_default();
            if !kept.is_empty() {
                settings.insert(key, Value::Map(kept));
            }
        }
        if !settings.is_empty() {
            c.insert("config", Value::Map(settings));
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::load;

    fn from_yaml(text: &str) -> Result<StorageSpec> {
        StorageSpec::from_yaml_config(&load(text).unwrap_or_default())
    }

    #[test]
    fn yaml_round_trip_orders_settings_by_field() {
        let s = from_yaml(
            "name: x\nmode: MOUNT_CACHED\ntype: dataset_ro\n\
             config:\n  mount_cached:\n    vfs_cache_max_size: 1G\n    transfers: 2\n",
        )
        .unwrap_or_default();
        let keys: Vec<String> = s.to_yaml_config().keys().map(Value::py_str).collect();
        assert_eq!(keys, ["name", "persistent", "mode", "type", "config"]);
        let settings = s.mount_cached_config.clone().unwrap_or_default();
        assert_eq!(
            fields_config(&settings, MOUNT_CACHED_FIELDS)
                .keys()
                .map(Value::py_str)
                .collect::<Vec<_>>(),
            ["transfers", "vfs_cache_max_size"]
        );
    }

    #[test]
    fn per_mode_settings_need_their_mode() {
        let err = from_yaml("name: x\nconfig:\n  mount_cached: {}\n").err();
        assert_eq!(
            err.map(|e| (e.kind, e.message)),
            Some((
                ErrorKind::StorageSpec,
                "config.mount_cached can only be specified when mode is MOUNT_CACHED. Got mode=MOUNT."
                    .into()
            ))
        );
        assert!(from_yaml("name: x\nmode: copy\nconfig:\n  mount: {read_only: true}\n").is_err());
        assert!(from_yaml("name: x\ntype: DATASET_RO\n").is_err());
    }

    #[test]
    fn url_sources_drop_the_name() {
        let s = StorageSpec {
            name: Some("n".into()),
            source: Some(Value::from("http://host/x")),
            ..StorageSpec::default()
        };
        assert!(!s.to_yaml_config().contains("name"));
    }
}
