//! Shared by the catalog tests and benches: a catalog directory holding a
//! copy of the public test catalogs (never committed to the project).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value as Json;
use stix::catalog::Catalogs;
use stix::catalog::fetch::Offline;

/// Where the shared test catalogs live (`STIX_TEST_CATALOGS` overrides).
pub fn source_dir() -> PathBuf {
    std::env::var_os("STIX_TEST_CATALOGS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/shared/catalogs/v7"))
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let dest = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &dest)?;
        } else {
            std::fs::copy(entry.path(), &dest)?;
            let mut perms = std::fs::metadata(&dest)?.permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perms.set_readonly(false);
            std::fs::set_permissions(&dest, perms)?;
        }
    }
    Ok(())
}

/// A fresh temp `HOME`-like dir with the catalogs at `.sky/catalogs/v8`,
/// or `None` (tests skip) when the shared catalogs are not on this machine.
pub fn catalog_home(tag: &str) -> Option<PathBuf> {
    let src = source_dir();
    if !src.join("aws/vms.csv").exists() {
        eprintln!("skipping: no test catalogs at {}", src.display());
        return None;
    }
    let home = std::env::temp_dir().join(format!("stix-cat-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    copy_dir(&src, &home.join(".sky/catalogs/v8")).ok()?;
    Some(home)
}

/// Offline catalogs over a fresh copy.
pub fn catalogs(tag: &str) -> Option<(PathBuf, Catalogs)> {
    let home = catalog_home(tag)?;
    let cat = Catalogs::new(home.join(".sky/catalogs/v8"), Arc::new(Offline));
    Some((home, cat))
}

/// A recorded fixture file.
pub fn fixture(name: &str) -> Json {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/catalog")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Floats as the recorder wrote them (`"nan"` for NaN).
pub fn num(x: f64) -> Json {
    if x.is_nan() {
        Json::from("nan")
    } else {
        serde_json::Number::from_f64(x).map_or(Json::Null, Json::Number)
    }
}

/// JSON equality with floats compared to 1e-9 (relative) and ints equal
/// to the same float.
pub fn same(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => {
            let (x, y) = (
                x.as_f64().unwrap_or(f64::NAN),
                y.as_f64().unwrap_or(f64::NAN),
            );
            x == y || (x - y).abs() <= 1e-9 * x.abs().max(y.abs())
        }
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// Where two JSON values first differ (for failure messages).
pub fn first_difference(a: &Json, b: &Json) -> String {
    fn walk(a: &Json, b: &Json, path: &str) -> Option<String> {
        if same(a, b) {
            return None;
        }
        match (a, b) {
            (Json::Array(x), Json::Array(y)) => {
                for (i, (p, q)) in x.iter().zip(y).enumerate() {
                    if let Some(d) = walk(p, q, &format!("{path}[{i}]")) {
                        return Some(d);
                    }
                }
                Some(format!("{path}: lengths {} vs {}", x.len(), y.len()))
            }
            (Json::Object(x), Json::Object(y)) => {
                let kx: Vec<&String> = x.keys().collect();
                let ky: Vec<&String> = y.keys().collect();
                if kx != ky {
                    return Some(format!("{path}: keys {kx:?} vs {ky:?}"));
                }
                for (k, v) in x {
                    if let Some(d) = walk(v, &y[k], &format!("{path}.{k}")) {
                        return Some(d);
                    }
                }
                None
            }
            _ => Some(format!("{path}: {a} vs {b}")),
        }
    }
    walk(a, b, "$").unwrap_or_else(|| "no difference".into())
}

/// A recorded `{"ok": ...}` or `{"error": {...}}` for a result.
pub fn outcome(r: stix::Result<Json>) -> Json {
    match r {
        Ok(v) => serde_json::json!({ "ok": v }),
        Err(e) => serde_json::json!({
            "error": { "type": e.kind.python_name(), "message": e.message }
        }),
    }
}

/// Compares an outcome with a recorded one: same value, or same error
/// class and message (assertion messages are SkyPilot internals).
pub fn same_outcome(got: &Json, want: &Json) -> bool {
    match (got.get("error"), want.get("error")) {
        (Some(g), Some(w)) => {
            let gt = g["type"].as_str().unwrap_or_default();
            let wt = w["type"].as_str().unwrap_or_default();
            let mro_ok = w["mro"]
                .as_array()
                .is_some_and(|m| m.iter().any(|c| c.as_str() == Some(gt)))
                || gt == wt;
            let msg_ok = wt == "AssertionError" || wt == "KeyError" || g["message"] == w["message"];
            mro_ok && msg_ok
        }
        (None, None) => same(&got["ok"], &want["ok"]),
        _ => false,
    }
}

/// Collects mismatches and fails once with all of them (and a count).
#[derive(Default)]
pub struct Report {
    checked: usize,
    failures: Vec<String>,
}

impl Report {
    /// Records one comparison.
    pub fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        self.checked += 1;
        if !ok {
            self.failures.push(what());
        }
    }
    /// Panics with the mismatches, if any.
    pub fn finish(self, name: &str) {
        eprintln!(
            "{name}: {} checks, {} mismatches",
            self.checked,
            self.failures.len()
        );
        if !self.failures.is_empty() {
            let shown: Vec<&String> = self.failures.iter().take(40).collect();
            panic!(
                "{name}: {} of {} checks differ from SkyPilot:\n{}",
                self.failures.len(),
                self.checked,
                shown
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join("\n---\n")
            );
        }
    }
}
