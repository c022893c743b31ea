//! [`Catalogs`]: the loaded catalog files of one catalog directory, each
//! parsed once (from its cached index when possible) and reloaded when the
//! file on disk changes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use super::accelerators::AcceleratorRegistry;
use super::csv::Csv;
use super::fetch::{Fetch, default_fetcher};
use super::index;
use super::store::{Store, default_root};
use super::table::VmTable;
use crate::error::{Error, ErrorKind, Result};

type Stamp = (u64, u64, u32);
/// A loaded `vms.csv`: its stamp, its zone mapping's stamp, the table.
type VmEntry = (Stamp, Option<Stamp>, Arc<VmTable>);

/// The catalogs of one directory (`~/.sky/catalogs/v8`), loaded lazily.
#[derive(Debug)]
pub struct Catalogs {
    store: Store,
    vms: Mutex<HashMap<String, VmEntry>>,
    files: Mutex<HashMap<String, (Stamp, Arc<Csv>)>>,
    registry: Mutex<Option<(Stamp, Stamp, Arc<AcceleratorRegistry>)>>,
}

/// How often SkyPilot re-downloads a file (`_PULL_FREQUENCY_HOURS` of the
/// module that reads it); `None` = only when missing.
pub fn pull_frequency_hours(filename: &str) -> Option<u64> {
    let cloud = filename.split('/').next().unwrap_or("");
    match cloud {
        "aws" | "azure" | "gcp" | "lambda" | "cudo" | "mithril" | "runpod" | "nebius" | "verda"
        | "kubernetes" => Some(7),
        "seeweb" => Some(8),
        _ => None,
    }
}

impl Catalogs {
    /// Catalogs in `root`, downloading missing or stale files with `fetcher`.
    pub fn new(root: PathBuf, fetcher: Arc<dyn Fetch>) -> Catalogs {
        Catalogs {
            store: Store::new(root, fetcher),
            vms: Mutex::new(HashMap::new()),
            files: Mutex::new(HashMap::new()),
            registry: Mutex::new(None),
        }
    }

    /// The process-wide catalogs of the current catalog directory
    /// (`$SKY_RUNTIME_DIR` or `$HOME`, read on every call so a changed
    /// `HOME` gets its own cache).
    pub fn shared() -> Arc<Catalogs> {
        static SHARED: OnceLock<Mutex<HashMap<PathBuf, Arc<Catalogs>>>> = OnceLock::new();
        let root = default_root();
        let map = SHARED.get_or_init(|| Mutex::new(HashMap::new()));
        let mut map = match map.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        map.entry(root.clone())
            .or_insert_with(|| Arc::new(Catalogs::new(root, default_fetcher())))
            .clone()
    }

    /// The download/cache layer.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The catalog directory.
    pub fn root(&self) -> &Path {
        self.store.root()
    }

    /// `<cloud>/vms.csv`, fetched if needed and parsed once.
    pub fn vms(&self, cloud: &str) -> Result<Arc<VmTable>> {
        let filename = format!("{cloud}/vms.csv");
        self.store
            .ensure(&filename, pull_frequency_hours(&filename))?;
        let path = self.store.path(&filename);
        let stamp = stamp_of(&path)?;
        // AWS zone ids become the account's zone names once its mapping
        // has been fetched.
        let mapping = (cloud == "aws")
            .then(|| super::az_mapping::latest(self.root()))
            .flatten();
        let mapping_stamp = mapping.as_deref().and_then(index::stamp);
        if let Some((s, m, t)) = lock(&self.vms).get(&filename)
            && *s == stamp
            && *m == mapping_stamp
        {
            return Ok(t.clone());
        }
        let table = match index::load(&path) {
            Some(t) => t,
            None => {
                let text = read_text(&path)?;
                let t = VmTable::parse(&text);
                index::save(&path, &t);
                t
            }
        };
        let table = match &mapping {
            Some(p) => super::az_mapping::apply(&table, &super::az_mapping::parse(&read_text(p)?)),
            None => table,
        };
        let table = Arc::new(table);
        lock(&self.vms).insert(filename, (stamp, mapping_stamp, table.clone()));
        Ok(table)
    }

    /// Any other catalog file (`aws/images.csv`, `common/metadata.csv`).
    pub fn file(&self, filename: &str) -> Result<Arc<Csv>> {
        self.store
            .ensure(filename, pull_frequency_hours(filename))?;
        let path = self.store.path(filename);
        let stamp = stamp_of(&path)?;
        if let Some((s, c)) = lock(&self.files).get(filename)
            && *s == stamp
        {
            return Ok(c.clone());
        }
        let csv = Arc::new(Csv::parse(&read_text(&path)?));
        lock(&self.files).insert(filename.to_string(), (stamp, csv.clone()));
        Ok(csv)
    }

    /// `common/accelerators.csv` + `common/metadata.csv` as a registry.
    pub fn accelerator_registry(&self) -> Result<Arc<AcceleratorRegistry>> {
        let accs = self.file("common/accelerators.csv")?;
        let meta = self.file("common/metadata.csv")?;
        let a = stamp_of(&self.store.path("common/accelerators.csv"))?;
        let m = stamp_of(&self.store.path("common/metadata.csv"))?;
        let mut slot = lock(&self.registry);
        if let Some((sa, sm, r)) = slot.as_ref()
            && *sa == a
            && *sm == m
        {
            return Ok(r.clone());
        }
        let r = Arc::new(AcceleratorRegistry::new(&accs, &meta));
        *slot = Some((a, m, r.clone()));
        Ok(r)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

fn stamp_of(path: &Path) -> Result<Stamp> {
    index::stamp(path).ok_or_else(|| not_found(path))
}

fn not_found(path: &Path) -> Error {
    Error::new(
        ErrorKind::FileNotFound,
        format!(
            "[Errno 2] No such file or directory: {}",
            crate::yaml::py_str_repr(&path.to_string_lossy())
        ),
    )
}

fn read_text(path: &Path) -> Result<String> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(String::from_utf8_lossy(&bytes).into_owned()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(not_found(path)),
        Err(e) => Err(Error::new(
            ErrorKind::Os,
            format!("{}: {e}", path.display()),
        )),
    }
}
