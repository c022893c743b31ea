//! `sky check` against SkyPilot 0.14.1's own report for the same HOME
//! (tests/fixtures/check/README.md says how it was recorded and what is
//! allowed to differ).

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::plain;
use serde_json::Value;
use stix::check::run_check;
use stix::config::load::Env;

/// Clouds whose SkyPilot report depends on optional Python packages or
/// on `socat`/`nc` being installed, not on credentials.
const DEPENDENCY_BOUND: &[&str] = &[
    "Cudo",
    "DO",
    "GCP",
    "HuggingFace",
    "Kubernetes",
    "OCI",
    "RunPod",
    "SSH",
    "Seeweb",
    "Vast",
    "vSphere",
];

/// The report's per-cloud blocks (status line and reasons), by cloud.
fn blocks(text: &str) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.split('\n') {
        let plain = plain(line);
        if let Some(rest) = plain.strip_prefix("  ")
            && let Some((name, status)) = rest.split_once(": ")
            && (status.starts_with("enabled") || status.starts_with("disabled"))
            && !name.contains(' ')
        {
            current = Some(name.to_string());
            out.insert(name.to_string(), vec![line.to_string()]);
            continue;
        }
        if line.is_empty() {
            current = None;
        }
        if let Some(c) = &current {
            out.entry(c.clone()).or_default().push(line.to_string());
        }
    }
    out
}

fn home_for(case: &Value, n: usize) -> std::path::PathBuf {
    let home = std::env::temp_dir().join(format!("stix-check-fx-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).unwrap();
    for (rel, text) in case["files"].as_object().unwrap() {
        let p = home.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text.as_str().unwrap()).unwrap();
    }
    home
}

#[test]
fn sky_check_reports_as_skypilot_does() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/check/recorded.json");
    let recorded: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut compared = 0;
    for (n, rec) in recorded.iter().enumerate() {
        let case = &rec["case"];
        let id = case["id"].as_str().unwrap();
        let home = home_for(case, n);
        let home_str = home.display().to_string();
        // As when SkyPilot recorded it: no network for clouds verified
        // with an API call (and no probe leaves this machine).
        let env = Env::fixed(
            &[("HOME", &home_str), ("STIX_CHECK_OFFLINE", "unreachable")],
            &home,
        );
        let clouds: Option<Vec<String>> = case["clouds"]
            .as_array()
            .map(|a| a.iter().map(|c| c.as_str().unwrap().to_string()).collect());
        let report = run_check(&env, clouds.as_deref()).unwrap();
        let want_text = rec["output"].as_str().unwrap().replace("{home}", &home_str);
        let (want, got) = (blocks(&want_text), blocks(&report.text));
        assert_eq!(
            report.text.lines().next(),
            want_text.lines().next(),
            "{id}: header"
        );
        for (cloud, lines) in &want {
            let mine = got
                .get(cloud)
                .unwrap_or_else(|| panic!("{id}: no {cloud} line in\n{}", report.text));
            if DEPENDENCY_BOUND.contains(&cloud.as_str()) {
                assert_eq!(
                    plain(&mine[0]).contains("enabled"),
                    plain(&lines[0]).contains(": enabled"),
                    "{id}: {cloud}"
                );
            } else {
                assert_eq!(mine, lines, "{id}: {cloud}");
                compared += 1;
            }
        }
        // Only stix's always-enabled local infra is extra.
        let extra: Vec<&String> = got.keys().filter(|k| !want.contains_key(*k)).collect();
        assert!(extra.iter().all(|k| *k == "Local"), "{id}: {extra:?}");
        // The enabled clouds SkyPilot returned, plus local.
        let mut want_enabled: Vec<String> = rec["result"]["default"]
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.to_lowercase())
            .collect();
        if clouds.is_none() {
            want_enabled.push("local".into());
        }
        let mut got_enabled = report.enabled.clone();
        got_enabled.sort();
        want_enabled.sort();
        assert_eq!(got_enabled, want_enabled, "{id}");
        // The closing lines are SkyPilot's.
        let tail = |t: &str| t[t.find("\x1b[2m\nTo enable a cloud").unwrap_or(0)..].to_string();
        assert_eq!(tail(&report.text), tail(&want_text), "{id}");
        let _ = std::fs::remove_dir_all(&home);
    }
    assert!(compared > 40, "{compared}");
}
