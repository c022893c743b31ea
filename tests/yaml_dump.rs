//! The YAML writer against PyYAML's output for the same values
//! (`tests/fixtures/yaml_dump/cases.json`, recorded with SkyPilot 0.14.1's
//! pinned PyYAML; see the README there).

use stix::yaml::{Value, dump_yaml_all_str, dump_yaml_str, json_to_value, load, safe_dump};

fn cases() -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/yaml_dump/cases.json"
    ))
    .expect("fixture");
    serde_json::from_str(&text).expect("fixture json")
}

#[test]
fn dumps_match_pyyaml() {
    let mut failures = Vec::new();
    let all = cases();
    for case in &all {
        let v: Value = json_to_value(&case["value"]);
        // SkyPilot's dump_yaml_str dumps a list as a list of documents.
        let skypilot_dump = match &v {
            Value::Seq(docs) => dump_yaml_all_str(docs),
            doc => dump_yaml_str(doc),
        };
        for (got, key) in [
            (safe_dump(&v), "safe_dump"),
            (skypilot_dump, "dump_yaml_str"),
        ] {
            let want = case[key].as_str().unwrap_or_default();
            if got != want {
                failures.push(format!(
                    "{key} of {}:\n got {got:?}\nwant {want:?}",
                    case["value"]
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        all.len(),
        failures
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn dumps_load_back_to_the_same_value() {
    for case in cases() {
        let v = json_to_value(&case["value"]);
        let text = safe_dump(&v);
        // The loader keeps timestamps as strings, as the dumper quotes them.
        assert_eq!(load(&text).ok().as_ref(), Some(&v), "{text:?}");
    }
}
