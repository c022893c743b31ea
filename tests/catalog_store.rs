//! The catalog cache rules (SkyPilot's `read_catalog`): download when
//! missing, refresh when stale and untouched, never overwrite a local edit,
//! fall back to the cached copy offline, and the index next to each CSV.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use stix::ErrorKind;
use stix::catalog::Catalogs;
use stix::catalog::fetch::{Fetch, Response};
use stix::catalog::index::index_path;
use stix::catalog::md5::hex_digest;

const LAMBDA: &str = "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,Price,Region,GpuInfo,SpotPrice\n\
gpu_1x_a10,A10,1.0,30.0,200.0,0.75,us-east-1,,\n";
const LAMBDA_NEW: &str = "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,Price,Region,GpuInfo,SpotPrice\n\
gpu_1x_a10,A10,1.0,30.0,200.0,0.80,us-east-1,,\n";
const GITHUB: &str = "https://raw.githubusercontent.com/skypilot-org/skypilot-catalog/master/catalogs/v8/lambda/vms.csv";
const MIRROR: &str =
    "https://skypilot-catalog.s3.us-east-1.amazonaws.com/catalogs/v8/lambda/vms.csv";

/// Answers from a script and records every URL asked for.
#[derive(Default)]
struct Fake {
    answers: Mutex<Vec<(String, Result<Response, String>)>>,
    asked: Mutex<Vec<String>>,
}

impl Fake {
    fn answer(&self, url: &str, status: u16, body: &str) {
        let r = Ok(Response {
            status,
            body: body.as_bytes().to_vec(),
        });
        self.answers.lock().unwrap().push((url.to_string(), r));
    }
    fn fail(&self, url: &str) {
        let r = Err("connection refused".to_string());
        self.answers.lock().unwrap().push((url.to_string(), r));
    }
    fn asked(&self) -> Vec<String> {
        self.asked.lock().unwrap().clone()
    }
}

impl Fetch for Fake {
    fn get(&self, url: &str, user_agent: &str) -> Result<Response, String> {
        assert_eq!(user_agent, "SkyPilot/0.7");
        self.asked.lock().unwrap().push(url.to_string());
        let mut answers = self.answers.lock().unwrap();
        let i = answers
            .iter()
            .position(|(u, _)| u == url)
            .ok_or_else(|| format!("unexpected fetch of {url}"))?;
        answers.remove(i).1
    }
}

fn root(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("stix-store-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir.join(".sky/catalogs/v8")
}

fn age(path: &Path, hours: u64) {
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(SystemTime::now() - Duration::from_secs(hours * 3600))
        .unwrap();
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// `lambda/vms.csv` as a download `hours` ago left it (with its md5).
fn downloaded(root: &Path, hours: u64) -> PathBuf {
    let csv = root.join("lambda/vms.csv");
    write(&csv, LAMBDA);
    write(
        &root.join(".meta/lambda/vms.csv.md5"),
        &hex_digest(LAMBDA.as_bytes()),
    );
    age(&csv, hours);
    csv
}

fn price(cat: &Catalogs) -> f64 {
    cat.vms("lambda").unwrap().rows[0].price
}

#[test]
fn missing_file_is_downloaded_with_its_md5() {
    let root = root("missing");
    let fake = Arc::new(Fake::default());
    fake.answer(GITHUB, 200, LAMBDA);
    let cat = Catalogs::new(root.clone(), fake.clone());
    assert_eq!(price(&cat), 0.75);
    assert_eq!(fake.asked(), [GITHUB]);
    let md5 = std::fs::read_to_string(root.join(".meta/lambda/vms.csv.md5")).unwrap();
    assert_eq!(md5, hex_digest(LAMBDA.as_bytes()));
    assert!(!cat.store().is_modified("lambda/vms.csv"));
    // Loaded once: later calls neither fetch nor re-read.
    assert_eq!(price(&cat), 0.75);
    assert_eq!(fake.asked().len(), 1);
}

#[test]
fn rate_limited_github_falls_back_to_the_s3_mirror() {
    let root = root("429");
    let fake = Arc::new(Fake::default());
    fake.answer(GITHUB, 429, "slow down");
    fake.answer(MIRROR, 200, LAMBDA);
    let cat = Catalogs::new(root, fake.clone());
    assert_eq!(price(&cat), 0.75);
    assert_eq!(fake.asked(), [GITHUB, MIRROR]);
}

#[test]
fn failed_download_without_cache_is_an_os_error() {
    let fake = Arc::new(Fake::default());
    fake.answer(GITHUB, 404, "not found");
    let cat = Catalogs::new(root("404"), fake.clone());
    let err = cat.vms("lambda").unwrap_err();
    assert_eq!(err.kind, ErrorKind::Os);
    assert!(
        err.message.starts_with("404 Client Error"),
        "{}",
        err.message
    );
    let fake = Arc::new(Fake::default());
    fake.fail(GITHUB);
    let err = Catalogs::new(root("offline"), fake)
        .vms("lambda")
        .unwrap_err();
    assert_eq!(err.message, "connection refused");
}

#[test]
fn stale_untouched_file_is_refreshed() {
    let root = root("stale");
    let _csv = downloaded(&root, 8);
    let fake = Arc::new(Fake::default());
    fake.answer(GITHUB, 200, LAMBDA_NEW);
    let cat = Catalogs::new(root, fake.clone());
    assert_eq!(price(&cat), 0.80);
    assert_eq!(fake.asked(), [GITHUB]);
}

#[test]
fn fresh_or_locally_edited_files_are_never_downloaded() {
    // Younger than the 7-hour period: no fetch.
    let root1 = root("fresh");
    write(&root1.join("lambda/vms.csv"), LAMBDA);
    let fake = Arc::new(Fake::default());
    assert_eq!(price(&Catalogs::new(root1, fake.clone())), 0.75);
    // Stale but edited after the download (md5 differs): kept.
    let root2 = root("edited");
    let csv = root2.join("lambda/vms.csv");
    write(&csv, LAMBDA_NEW);
    write(
        &root2.join(".meta/lambda/vms.csv.md5"),
        &hex_digest(LAMBDA.as_bytes()),
    );
    age(&csv, 30);
    assert_eq!(price(&Catalogs::new(root2, fake.clone())), 0.80);
    // Stale with no md5 record (populated by hand): kept too.
    let root3 = root("by-hand");
    let csv = root3.join("lambda/vms.csv");
    write(&csv, LAMBDA);
    age(&csv, 30);
    assert_eq!(price(&Catalogs::new(root3, fake.clone())), 0.75);
    assert!(fake.asked().is_empty());
}

#[test]
fn offline_refresh_keeps_the_cached_copy_and_waits_a_period() {
    let root = root("offline-cache");
    let csv = downloaded(&root, 8);
    let fake = Arc::new(Fake::default());
    fake.fail(GITHUB);
    let cat = Catalogs::new(root, fake.clone());
    assert_eq!(price(&cat), 0.75);
    assert_eq!(
        cat.store().take_warnings(),
        ["Failed to fetch Lambda catalog lambda/vms.csv. Using cached catalog files."]
    );
    // The mtime was bumped, so the next check does not fetch again.
    let modified = std::fs::metadata(&csv).unwrap().modified().unwrap();
    assert!(modified > SystemTime::now() - Duration::from_secs(60));
    assert_eq!(
        price(&Catalogs::new(
            csv.parent().unwrap().parent().unwrap().to_path_buf(),
            fake.clone()
        )),
        0.75
    );
    assert_eq!(fake.asked().len(), 1);
}

#[test]
fn index_is_written_reused_and_invalidated_by_the_csv() {
    let root = root("index");
    let csv = root.join("lambda/vms.csv");
    write(&csv, LAMBDA);
    let fake = Arc::new(Fake::default());
    let first = Catalogs::new(root.clone(), fake.clone());
    let table = first.vms("lambda").unwrap();
    let idx = index_path(&csv);
    assert!(idx.exists(), "{}", idx.display());
    // A new process (new Catalogs) loads the same table from the index.
    let second = Catalogs::new(root.clone(), fake.clone());
    assert_eq!(
        format!("{:?}", second.vms("lambda").unwrap().rows),
        format!("{:?}", table.rows)
    );
    // Editing the CSV invalidates both the in-memory table and the index.
    std::thread::sleep(Duration::from_millis(20));
    write(&csv, LAMBDA_NEW);
    assert_eq!(price(&first), 0.80);
    assert_eq!(price(&Catalogs::new(root, fake)), 0.80);
    // A corrupt index is ignored, never trusted.
    std::fs::write(&idx, b"STIXIDX2garbage").unwrap();
    assert_eq!(
        price(&Catalogs::new(
            csv.parent().unwrap().parent().unwrap().to_path_buf(),
            Arc::new(Fake::default())
        )),
        0.80
    );
}
