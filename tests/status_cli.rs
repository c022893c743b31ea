//! `sky status` against SkyPilot 0.14.1's recorded CLI output
//! (tests/fixtures/status): the sections without clusters, the 20-cluster
//! table plain and `-v`, queries, `--ip` / `--endpoint(s)` errors and
//! `-o json`. Each test has its own HOME, passed to the child only.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use stix::state::{ClusterUpdate, StateDb};

struct Home(PathBuf);

impl Home {
    fn new(name: &str) -> Home {
        let p = std::env::temp_dir().join(format!("stix-status-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Home(p)
    }

    fn sky(&self, args: &[&str]) -> (i32, String, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_stix"))
            .args(args)
            .env("HOME", &self.0)
            .env("USER", "root")
            .env_remove("STIX_ASSUME_ENABLED")
            .env_remove("SKYPILOT_USER")
            .current_dir(&self.0)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn fixture(name: &str) -> Value {
    let p =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/status/{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// The Enabled Infra list differs by design (stix always has `local`) and
/// the seconds of LAUNCHED by a tick; everything else must match.
fn normalise(text: &str) -> String {
    let secs = regex::Regex::new(r"\d\d secs ago").unwrap();
    text.lines()
        .map(|l| {
            if l.starts_with("Enabled Infra:") {
                "Enabled Infra: <infras>".to_string()
            } else {
                secs.replace_all(l, "NN secs ago").into_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Dates the clusters back as far as the fixture's LAUNCHED says.
fn launched_as_recorded(home: &Home, recorded: &str) {
    let re = regex::Regex::new(r"(\d+) (sec|min)s? ago").unwrap();
    let Some(c) = re.captures(recorded) else {
        return;
    };
    let n: i64 = c[1].parse().unwrap();
    let secs = if &c[2] == "min" { n * 60 + 5 } else { n };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let db = StateDb::open_at(&home.0.join(".sky/state.db")).unwrap();
    db.conn()
        .execute("UPDATE clusters SET launched_at = ?1", [now - secs])
        .unwrap();
}

fn assert_matches(home: &Home, name: &str) {
    let f = fixture(name);
    let args: Vec<&str> = f["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    launched_as_recorded(home, f["stdout"].as_str().unwrap());
    let (code, out, err) = home.sky(&args);
    assert_eq!(
        normalise(&out),
        normalise(f["stdout"].as_str().unwrap()),
        "stdout of sky {args:?}"
    );
    assert_eq!(err, f["stderr"].as_str().unwrap(), "stderr of sky {args:?}");
    assert_eq!(
        i64::from(code),
        f["returncode"].as_i64().unwrap(),
        "exit code of sky {args:?}"
    );
}

#[test]
fn sections_and_errors_without_clusters() {
    let home = Home::new("empty");
    for name in [
        "status_empty",
        "status_verbose_empty",
        "status_json_empty",
        "status_query_missing",
        "status_query_missing2",
        "status_no_sections",
        "status_ip_none",
        "status_ip_two",
        "status_ip_missing",
        "status_endpoints_missing",
        "status_endpoint_missing",
        "status_endpoints_none",
        "status_endpoint_none",
        "status_ip_refresh",
        "status_ip_and_endpoints",
        "status_endpoint_and_endpoints",
        "status_bad_output",
    ] {
        assert_matches(&home, name);
    }
    let (_, out, _) = home.sky(&["status"]);
    assert!(out.starts_with("Enabled Infra: local\n"), "{out}");
}

/// The 20 clusters the fixtures were recorded with, as stix records.
fn add_twenty(home: &Home) {
    let mut db = StateDb::open_at(&home.0.join(".sky/state.db")).unwrap();
    for i in 0..20 {
        let name = format!("c{i:02}");
        let nodes = 1 + i % 2;
        let lr = json!({"cloud": "aws", "region": "us-east-1", "zone": null,
            "instance_type": "m6i.2xlarge", "cpus": 8.0, "memory_gb": 32.0,
            "accelerators": null, "use_spot": false, "ports": []});
        let node = json!({"instance_id": "i-0", "internal_ip": format!("3.3.3.{}", i + 1),
            "runner": {"kind": "local", "node_id": "node-0", "home": "/nonexistent"},
            "resources": {"cpus": 8.0, "memory_gb": 32.0, "accelerator": null, "accelerator_count": 0}});
        // No provider: nothing to refresh, as for the recorded fake clusters.
        let handle = json!({"cluster_name": name, "cluster_name_on_cloud": name,
            "provider_name": "", "provider_config": null, "launched_nodes": nodes,
            "launched_resources": lr, "nodes": [node]});
        db.add_or_update_cluster(&ClusterUpdate {
            name: name.clone(),
            handle,
            launched_resources: lr,
            launched_nodes: nodes,
            ready: true,
            is_launch: true,
            last_use: Some("-c".into()),
            user_hash: "fcd1e5cf".into(),
            workspace: "default".into(),
            ..ClusterUpdate::default()
        })
        .unwrap();
        if i % 3 == 1 {
            let minutes = if i % 2 == 1 { 60 } else { 10 };
            db.set_cluster_autostop(&name, minutes, i % 2 == 1).unwrap();
        }
    }
}

#[test]
fn twenty_clusters_as_skypilot_prints_them() {
    let home = Home::new("twenty");
    add_twenty(&home);
    for name in [
        "status_20",
        "status_20_v",
        "status_query",
        "status_ip",
        "status_ip_glob",
    ] {
        assert_matches(&home, name);
    }
    let (code, out, _) = home.sky(&["status", "-o", "json"]);
    assert_eq!(code, 0);
    let got: Vec<Value> = serde_json::from_str(&out).unwrap();
    let want: Vec<Value> =
        serde_json::from_str(fixture("status_20_json")["stdout"].as_str().unwrap()).unwrap();
    assert_eq!(got.len(), want.len());
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&got[1]), keys(&want[1]));
    for k in [
        "name",
        "status",
        "autostop",
        "to_down",
        "resources_str",
        "resources_str_full",
        "nodes",
        "cloud",
        "region",
        "cpus",
        "memory",
        "accelerators",
        "user_name",
        "workspace",
    ] {
        assert_eq!(got[1][k], want[1][k], "{k}");
    }
}
