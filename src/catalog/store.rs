//! The on-disk catalog cache `~/.sky/catalogs/v8/`: when to download a
//! file, where, and the `.meta/<file>.md5` rule that keeps a locally edited
//! catalog from ever being overwritten (SkyPilot's `read_catalog`).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use super::fetch::{Fetch, USER_AGENT, urls};
use super::md5;
use crate::error::{Error, ErrorKind, Result};

/// A catalog directory (`<runtime dir>/.sky/catalogs/v8`) and how to
/// download into it.
pub struct Store {
    root: PathBuf,
    fetcher: Arc<dyn Fetch>,
    /// Messages SkyPilot logs as warnings (a download failed but a cached
    /// copy was used); the caller decides whether to show them.
    warnings: Mutex<Vec<String>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("root", &self.root).finish()
    }
}

/// `<runtime dir>/.sky/catalogs/v8`: `$SKY_RUNTIME_DIR` if set, else `~`.
pub fn default_root() -> PathBuf {
    let base = match std::env::var_os("SKY_RUNTIME_DIR") {
        Some(dir) => expand_user(&dir.to_string_lossy()),
        None => home(),
    };
    base.join(".sky/catalogs").join(super::SCHEMA_VERSION)
}

fn home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/"))
}

fn expand_user(path: &str) -> PathBuf {
    match path.strip_prefix('~') {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => {
            home().join(rest.trim_start_matches('/'))
        }
        _ => PathBuf::from(path),
    }
}

impl Store {
    /// A store rooted at `root`, downloading with `fetcher`.
    pub fn new(root: PathBuf, fetcher: Arc<dyn Fetch>) -> Store {
        Store {
            root,
            fetcher,
            warnings: Mutex::new(Vec::new()),
        }
    }

    /// The catalog directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where `filename` (e.g. `aws/vms.csv`) lives (`get_catalog_path`).
    pub fn path(&self, filename: &str) -> PathBuf {
        self.root.join(filename)
    }

    /// `.meta/<filename>`; `.md5` and `.lock` are appended to it.
    fn meta_path(&self, filename: &str) -> PathBuf {
        self.root.join(".meta").join(filename)
    }

    /// Drains the warnings collected so far.
    pub fn take_warnings(&self) -> Vec<String> {
        self.warnings
            .lock()
            .map(|mut w| std::mem::take(&mut *w))
            .unwrap_or_default()
    }

    /// `is_catalog_modified`: true unless the file's md5 equals the one
    /// recorded at the last download (no record = populated by hand).
    pub fn is_modified(&self, filename: &str) -> bool {
        let mut md5_path = self.meta_path(filename).into_os_string();
        md5_path.push(".md5");
        let Ok(last) = std::fs::read_to_string(&md5_path) else {
            return true;
        };
        match std::fs::read(self.path(filename)) {
            Ok(bytes) => md5::hex_digest(&bytes) != last,
            Err(_) => true,
        }
    }

    fn need_update(&self, filename: &str, pull_frequency_hours: Option<u64>) -> bool {
        let path = self.path(filename);
        let Ok(meta) = std::fs::metadata(&path) else {
            return true;
        };
        let Some(hours) = pull_frequency_hours else {
            return false;
        };
        // Same answer as SkyPilot (exists, not modified, older than the
        // period), but the cheap age test goes first so a fresh file never
        // pays for an md5 of megabytes.
        let stale = meta
            .modified()
            .ok()
            .and_then(|m| m.checked_add(Duration::from_secs(hours * 3600)))
            .is_some_and(|due| due < SystemTime::now());
        stale && !self.is_modified(filename)
    }

    /// Makes sure `filename` is present and fresh (`read_catalog`'s
    /// `_update_catalog`) and returns its path. Returns whether it was
    /// downloaded or touched.
    pub fn ensure(&self, filename: &str, pull_frequency_hours: Option<u64>) -> Result<bool> {
        if !self.need_update(filename, pull_frequency_hours) {
            return Ok(false);
        }
        let meta = self.meta_path(filename);
        if let Some(dir) = meta.parent() {
            std::fs::create_dir_all(dir).map_err(|e| os_error(dir, e))?;
        }
        let mut lock_path = meta.clone().into_os_string();
        lock_path.push(".lock");
        // The same flock SkyPilot's filelock takes, so a stix and a SkyPilot
        // process never download the same file at once.
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| os_error(Path::new(&lock_path), e))?;
        lock.lock()
            .map_err(|e| os_error(Path::new(&lock_path), e))?;
        let result = self.update_locked(filename, pull_frequency_hours);
        let _ = lock.unlock();
        result
    }

    fn update_locked(&self, filename: &str, pull_frequency_hours: Option<u64>) -> Result<bool> {
        if !self.need_update(filename, pull_frequency_hours) {
            return Ok(false);
        }
        let path = self.path(filename);
        match self.download(filename) {
            Ok(body) => {
                let dir = path.parent().unwrap_or(&self.root);
                std::fs::create_dir_all(dir).map_err(|e| os_error(dir, e))?;
                let tmp = dir.join(format!(".tmp{}-{}", std::process::id(), file_name(&path)));
                std::fs::write(&tmp, &body).map_err(|e| os_error(&tmp, e))?;
                std::fs::rename(&tmp, &path).map_err(|e| os_error(&path, e))?;
                let mut md5_path = self.meta_path(filename).into_os_string();
                md5_path.push(".md5");
                std::fs::write(&md5_path, md5::hex_digest(&body))
                    .map_err(|e| os_error(Path::new(&md5_path), e))?;
                Ok(true)
            }
            Err(err) => {
                let what = format!(
                    "Failed to fetch {} catalog {filename}. ",
                    cloud_label(filename)
                );
                if path.exists() {
                    if let Ok(mut w) = self.warnings.lock() {
                        w.push(format!("{what}Using cached catalog files."));
                    }
                    // Bumping the mtime waits a full period before retrying.
                    if let Ok(f) = File::options().write(true).open(&path) {
                        let _ = f.set_modified(SystemTime::now());
                    }
                    Ok(true)
                } else {
                    Err(Error::new(ErrorKind::Os, err))
                }
            }
        }
    }

    /// GET the file from GitHub, from the S3 mirror on 429.
    fn download(&self, filename: &str) -> std::result::Result<Vec<u8>, String> {
        let (url, fallback) = urls(filename);
        let mut resp = self.fetcher.get(&url, USER_AGENT)?;
        let mut used = url;
        if resp.status == 429 {
            resp = self.fetcher.get(&fallback, USER_AGENT)?;
            used = fallback;
        }
        if resp.status >= 400 {
            let kind = if resp.status < 500 {
                "Client"
            } else {
                "Server"
            };
            return Err(format!("{} {kind} Error: for url: {used}", resp.status));
        }
        Ok(resp.body)
    }
}

/// The cloud's display name for messages (`Updating AWS catalog: ...`).
fn cloud_label(filename: &str) -> String {
    let dir = filename.split('/').next().unwrap_or(filename);
    if dir == "common" {
        return dir.to_string();
    }
    crate::spec::infra::Cloud::from_str(dir)
        .map(|c| c.display().to_string())
        .unwrap_or_else(|_| dir.to_string())
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn os_error(path: &Path, e: std::io::Error) -> Error {
    Error::new(ErrorKind::Os, format!("{}: {e}", path.display()))
}
