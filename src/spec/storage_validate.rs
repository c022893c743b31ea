//! `Storage._validate_storage_spec`: the name/source/mode checks SkyPilot
//! runs before it touches a bucket, and the bucket name a URL source gives.

use std::path::Path;

use crate::error::{Error, ErrorKind, Result};
use crate::spec::data_utils::{
    HF_BUCKETS_URL_PREFIX, HF_URL_PREFIX, az_container_name, is_az_container_endpoint,
    split_cos_path, split_hf_path, split_hf_repo_path, urlsplit,
};
use crate::spec::paths::{basename, expand_abs};
use crate::spec::storage::StorageSpec;
use crate::spec::storage_types::StorageMode;
use crate::yaml::Value;

/// URL schemes a storage source (or a name's prefix) may use.
const STORE_SCHEMES: &[&str] = &[
    "s3", "gs", "https", "r2", "cos", "oci", "nebius", "cw", "vastdata", "hf",
];

fn err(kind: ErrorKind, message: impl Into<String>) -> Error {
    Error::new(kind, message)
}

/// `validate_name`: a bucket name must not look like a URL.
fn validate_name(name: &str) -> Result<()> {
    let prefix = name.split("://").next().unwrap_or_default().to_lowercase();
    if STORE_SCHEMES.contains(&prefix.as_str()) {
        return Err(err(
            ErrorKind::StorageName,
            format!(
                "Prefix detected: `name` cannot start with {prefix}://. If you are trying to use an \
                 existing bucket created outside of SkyPilot, please specify it using the `source` \
                 field (e.g. `source: s3://mybucket/`). If you are trying to create a new bucket, \
                 please use the `store` field to specify the store type (e.g. `store: s3`)."
            ),
        ));
    }
    Ok(())
}

fn validate_local_source(local: &str, sync_on_reconstruction: bool) -> Result<()> {
    if local.ends_with('/') {
        return Err(err(
            ErrorKind::StorageSource,
            format!(
                "Storage source paths cannot end with a slash (try \"/mydir: /mydir\" or \
                 \"/myfile: /myfile\"). Found source={local}"
            ),
        ));
    }
    if !Path::new(&expand_abs(local)).exists() && sync_on_reconstruction {
        return Err(err(
            ErrorKind::StorageSource,
            format!("Local source path does not exist: {local}"),
        ));
    }
    Ok(())
}

/// `Storage._validate_source`: whether the source is local, after checking
/// it exists (local) or is a bucket, not a file inside one (MOUNT modes).
fn validate_source(
    source: &Value,
    mode: StorageMode,
    sync_on_reconstruction: bool,
) -> Result<bool> {
    if let Value::Seq(items) = source {
        let paths: Vec<String> = items.iter().map(Value::py_str).collect();
        let names: Vec<&str> = paths.iter().map(|p| basename(p)).collect();
        let mut conflicts: Vec<&str> = Vec::new();
        for n in &names {
            if names.iter().filter(|m| *m == n).count() > 1 && !conflicts.contains(n) {
                conflicts.push(n);
            }
        }
        if !conflicts.is_empty() {
            return Err(err(
                ErrorKind::StorageSource,
                format!(
                    "Cannot have multiple files or directories with the same name in source. \
                     Conflicts found for: {}",
                    conflicts.join(", ")
                ),
            ));
        }
        for p in &paths {
            validate_local_source(p, sync_on_reconstruction)?;
        }
        return Ok(true);
    }
    let source = source.py_str();
    let split = urlsplit(&source);
    if split.scheme.is_empty() {
        validate_local_source(&source, sync_on_reconstruction)?;
        if Path::new(&expand_abs(&source)).is_file() {
            return Err(err(
                ErrorKind::StorageSource,
                format!(
                    "Storage source path cannot be a file - only directories are supported as a \
                     source. To upload a single file, specify it in a list by writing source: \
                     [{source}]. Note that the file will be uploaded to the root of the bucket and \
                     will appear at <destination_path>/{}. Alternatively, you can directly upload \
                     the file to the VM without using a bucket by writing <destination_path>: \
                     {source} in the file_mounts section of your YAML",
                    basename(&source)
                ),
            ));
        }
        return Ok(true);
    }
    if !STORE_SCHEMES.contains(&split.scheme.as_str()) {
        return Err(err(
            ErrorKind::StorageSource,
            format!(
                "Supported paths: local, s3://, gs://, https://, r2://, cos://, oci://, nebius://, \
                 cw://, vastdata://, hf://. Got: {source}"
            ),
        ));
    }
    let mountable = matches!(mode, StorageMode::Mount | StorageMode::MountCached);
    if mountable && split.scheme != "hf" && split.scheme != "https" {
        let names_a_file = if split.scheme == "cos" {
            !cos_bucket_path(&split.path)
        } else {
            !split.path.trim_matches('/').is_empty()
        };
        if names_a_file {
            return Err(err(
                ErrorKind::StorageMode,
                "MOUNT mode does not support mounting specific files from cloud storage. Please \
                 use COPY mode or specify only the bucket name as the source.",
            ));
        }
    }
    Ok(false)
}

/// `re.match(r'^/[-\w]+(/\s*)?$', path)`: `/bucket` with an optional `/`.
fn cos_bucket_path(path: &str) -> bool {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r"^/[-\w]+(/\s*)?\n?$").unwrap_or_else(|e| panic!("cos regex: {e}"))
    })
    .is_match(path)
}

impl StorageSpec {
    /// `Storage._validate_storage_spec(name)`. `storage_exists` says whether
    /// a storage of that name is already recorded (COPY mode may then omit
    /// the source). Sets the name a URL source implies.
    pub fn validate_storage_spec(
        &mut self,
        name: Option<&str>,
        storage_exists: &dyn Fn(Option<&str>) -> bool,
    ) -> Result<()> {
        let name = name.filter(|n| !n.is_empty()).map(str::to_string);
        let Some(source) = self.source.clone() else {
            if self.mode == StorageMode::Copy {
                if !storage_exists(name.as_deref()) {
                    return Err(err(
                        ErrorKind::StorageSource,
                        "New storage object: source must be specified when using COPY mode.",
                    ));
                }
            } else if name.is_none() {
                return Err(err(
                    ErrorKind::StorageSpec,
                    "Storage source or storage name must be specified.",
                ));
            }
            let name = name.unwrap_or_default();
            validate_name(&name)?;
            self.name = Some(name);
            return Ok(());
        };
        let is_local = validate_source(&source, self.mode, self.sync_on_reconstruction)?;
        match (name, is_local) {
            (None, true) => Err(err(
                ErrorKind::StorageName,
                "Storage name must be specified if the source is local.",
            )),
            (None, false) => {
                let source = source.py_str();
                self.name = Some(self.name_from_url(&source)?);
                Ok(())
            }
            (Some(name), true) => {
                validate_name(&name)?;
                self.name = Some(name);
                Ok(())
            }
            (Some(_), false) => Err(err(
                ErrorKind::StorageSpec,
                "Storage name should not be specified if the source is a remote URI.",
            )),
        }
    }

    /// The bucket a URL source names (for Hugging Face also the sub path).
    fn name_from_url(&mut self, source: &str) -> Result<String> {
        if source.starts_with(HF_URL_PREFIX) {
            let (name, sub_path) = if source.starts_with(HF_BUCKETS_URL_PREFIX) {
                split_hf_path(source)?
            } else {
                split_hf_repo_path(source)?
            };
            if !sub_path.is_empty() && self.bucket_sub_path.is_none() {
                self.bucket_sub_path = Some(sub_path);
            }
            return Ok(name);
        }
        if source.starts_with("cos://") {
            return Ok(split_cos_path(source)?.1);
        }
        if is_az_container_endpoint(source) {
            return Ok(az_container_name(source));
        }
        Ok(urlsplit(source).netloc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: Option<&str>, source: Option<&str>, mode: StorageMode) -> Result<String> {
        let mut s = StorageSpec {
            name: name.map(str::to_string),
            source: source.map(Value::from),
            mode,
            ..StorageSpec::default()
        };
        s.validate_storage_spec(name, &|_| false)?;
        Ok(s.name.unwrap_or_default())
    }

    #[test]
    fn names_from_urls() {
        let m = StorageMode::Mount;
        assert_eq!(
            check(None, Some("s3://bkt/"), m).ok().as_deref(),
            Some("bkt")
        );
        assert_eq!(
            check(None, Some("cos://us-east/cb"), m).ok().as_deref(),
            Some("cb")
        );
        assert_eq!(
            check(None, Some("https://acct.blob.core.windows.net/cont"), m)
                .ok()
                .as_deref(),
            Some("cont")
        );
        assert_eq!(
            check(None, Some("s3://bkt/sub"), StorageMode::Copy)
                .ok()
                .as_deref(),
            Some("bkt")
        );
    }

    #[test]
    fn errors_have_skypilot_kinds() {
        let kind = |r: Result<String>| r.err().map(|e| e.kind);
        let m = StorageMode::Mount;
        assert_eq!(kind(check(None, None, m)), Some(ErrorKind::StorageSpec));
        assert_eq!(
            kind(check(Some("b"), None, StorageMode::Copy)),
            Some(ErrorKind::StorageSource)
        );
        assert_eq!(
            kind(check(Some("s3://b"), None, m)),
            Some(ErrorKind::StorageName)
        );
        assert_eq!(
            kind(check(None, Some("s3://b/k"), m)),
            Some(ErrorKind::StorageMode)
        );
        assert_eq!(
            kind(check(Some("b"), Some("ftp://x/y"), m)),
            Some(ErrorKind::StorageSource)
        );
        assert_eq!(
            kind(check(Some("b"), Some("s3://b"), m)),
            Some(ErrorKind::StorageSpec)
        );
    }
}
