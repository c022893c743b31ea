//! stix's port of NumPy's AVX2 `argsort(kind='quicksort')` against orders
//! recorded from NumPy itself on arrays full of ties.

use serde_json::Value;

#[test]
fn argsort_matches_numpy() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/catalog/numpy_argsort.json"
    );
    let data: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut bad = Vec::new();
    let cases = data["cases"].as_array().unwrap();
    for case in cases {
        let values: Vec<f64> = case["tenths"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap() / 10.0)
            .collect();
        let want: Vec<usize> = case["order"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        let got = stix::catalog::numpy_sort::argsort(&values);
        if got != want {
            bad.push(format!(
                "n={} values={:?}",
                values.len(),
                &values[..values.len().min(12)]
            ));
        }
    }
    assert!(
        bad.is_empty(),
        "{} of {} differ:\n{}",
        bad.len(),
        cases.len(),
        bad.join("\n")
    );
}
