//! stix's config schemas against the ones SkyPilot 0.14.1 builds
//! (`get_config_schema()` and the task-level `config:` schema, recorded in
//! tests/fixtures/config/schemas.json): same keys in the same order, same
//! constraints, and the same keyword order wherever it decides which error
//! is reported first.

use serde_json::{Value as J, json};
use stix::config::{config_schema, task_config_schema};
use stix::spec::schema::{Additional, Schema};
use stix::yaml::Value;

/// Which validation group a `jsonschema` keyword falls in (stix checks the
/// string and number keywords as one group each).
fn group(kw: &str) -> Option<&'static str> {
    Some(match kw {
        "type" => "type",
        "required" => "required",
        "maxProperties" => "maxProperties",
        "minProperties" => "minProperties",
        "propertyNames" => "propertyNames",
        "additionalProperties" => "additionalProperties",
        "properties" => "properties",
        "patternProperties" => "patternProperties",
        "items" => "items",
        "minItems" => "minItems",
        "maxItems" => "maxItems",
        "uniqueItems" => "uniqueItems",
        "minLength" | "maxLength" | "pattern" | "case_insensitive_enum" | "case_sensitive_enum" => {
            "string"
        }
        "minimum" | "maximum" | "exclusiveMinimum" => "number",
        "enum" => "enum",
        "anyOf" => "anyOf",
        "oneOf" => "oneOf",
        "not" => "not",
        _ => return None,
    })
}

const DEFAULT_ORDER: &[&str] = &[
    "type",
    "required",
    "maxProperties",
    "minProperties",
    "propertyNames",
    "additionalProperties",
    "properties",
    "patternProperties",
    "items",
    "minItems",
    "maxItems",
    "uniqueItems",
    "string",
    "number",
    "enum",
    "anyOf",
    "oneOf",
    "not",
];

fn num(f: f64) -> J {
    json!(f)
}

fn dedup(order: Vec<&'static str>) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for g in order {
        if !out.contains(&g) {
            out.push(g);
        }
    }
    out
}

/// SkyPilot's schema, without what constrains nothing.
fn norm_py(v: &J) -> J {
    let J::Object(m) = v else {
        return v.clone();
    };
    let mut out = serde_json::Map::new();
    let mut order = Vec::new();
    for (k, x) in m {
        let active = match k.as_str() {
            "required" => x.as_array().is_some_and(|a| !a.is_empty()),
            "properties" | "patternProperties" => x.as_object().is_some_and(|o| !o.is_empty()),
            "additionalProperties" => *x != J::Bool(true),
            _ => true,
        };
        if !active {
            continue;
        }
        if let Some(g) = group(k) {
            order.push(g);
        }
        let val = match k.as_str() {
            "$schema" | "default" | "description" | "__not_repr__" => continue,
            "properties" | "patternProperties" => J::Array(
                x.as_object()
                    .into_iter()
                    .flatten()
                    .map(|(n, s)| json!([n, norm_py(s)]))
                    .collect(),
            ),
            "type" => match x {
                J::String(s) => json!([s]),
                other => other.clone(),
            },
            "minimum" | "maximum" | "exclusiveMinimum" => num(x.as_f64().unwrap_or(f64::NAN)),
            "anyOf" | "oneOf" => {
                J::Array(x.as_array().into_iter().flatten().map(norm_py).collect())
            }
            "not" => json!([
                norm_py(x),
                m.get("__not_repr__").cloned().unwrap_or(J::Null)
            ]),
            "items" | "additionalProperties" | "propertyNames" => norm_py(x),
            _ => x.clone(),
        };
        out.insert(k.clone(), val);
    }
    let order = dedup(order);
    if order.len() > 1 {
        out.insert("_order".into(), json!(order));
    }
    J::Object(out)
}

fn yaml_to_json(v: &Value) -> J {
    match v {
        Value::Str(s) => json!(s),
        Value::Int(i) => json!(i),
        Value::Float(f) => json!(f),
        Value::Bool(b) => json!(b),
        Value::Null => J::Null,
        other => json!(other.py_repr()),
    }
}

/// stix's schema in the same form.
fn norm_rs(s: &Schema) -> J {
    let mut out = serde_json::Map::new();
    let mut active: Vec<&'static str> = Vec::new();
    let mut put =
        |kw: &'static str, g: &'static str, v: J, out: &mut serde_json::Map<String, J>| {
            active.push(g);
            out.insert(kw.into(), v);
        };
    if !s.types.is_empty() {
        put("type", "type", json!(s.types), &mut out);
    }
    if !s.required.is_empty() {
        put("required", "required", json!(s.required), &mut out);
    }
    if let Some(m) = s.max_properties {
        put("maxProperties", "maxProperties", json!(m), &mut out);
    }
    if let Some(m) = s.min_properties {
        put("minProperties", "minProperties", json!(m), &mut out);
    }
    if let Some(p) = &s.property_names {
        put("propertyNames", "propertyNames", norm_rs(p), &mut out);
    }
    match &s.additional {
        Additional::Allowed => {}
        Additional::Forbidden => put(
            "additionalProperties",
            "additionalProperties",
            json!(false),
            &mut out,
        ),
        Additional::Schema(sub) => put(
            "additionalProperties",
            "additionalProperties",
            norm_rs(sub),
            &mut out,
        ),
    }
    if !s.properties.is_empty() {
        let props: Vec<J> = s
            .properties
            .iter()
            .map(|(n, x)| json!([n, norm_rs(x)]))
            .collect();
        put("properties", "properties", J::Array(props), &mut out);
    }
    if !s.pattern_properties.is_empty() {
        let props: Vec<J> = s
            .pattern_properties
            .iter()
            .map(|(p, _, x)| json!([p, norm_rs(x)]))
            .collect();
        put(
            "patternProperties",
            "patternProperties",
            J::Array(props),
            &mut out,
        );
    }
    if let Some(i) = &s.items {
        put("items", "items", norm_rs(i), &mut out);
    }
    if let Some(m) = s.min_items {
        put("minItems", "minItems", json!(m), &mut out);
    }
    if let Some(m) = s.max_items {
        put("maxItems", "maxItems", json!(m), &mut out);
    }
    if s.unique_items {
        put("uniqueItems", "uniqueItems", json!(true), &mut out);
    }
    if let Some(m) = s.min_length {
        put("minLength", "string", json!(m), &mut out);
    }
    if let Some(m) = s.max_length {
        put("maxLength", "string", json!(m), &mut out);
    }
    if let Some((p, _)) = &s.pattern {
        put("pattern", "string", json!(p), &mut out);
    }
    if let Some((values, cs)) = &s.custom_enum {
        let kw = if *cs {
            "case_sensitive_enum"
        } else {
            "case_insensitive_enum"
        };
        put(kw, "string", json!(values), &mut out);
    }
    if let Some(m) = s.minimum {
        put("minimum", "number", num(m), &mut out);
    }
    if let Some(m) = s.maximum {
        put("maximum", "number", num(m), &mut out);
    }
    if let Some(m) = s.exclusive_minimum {
        put("exclusiveMinimum", "number", num(m), &mut out);
    }
    if let Some(values) = &s.enum_values {
        put(
            "enum",
            "enum",
            J::Array(values.iter().map(yaml_to_json).collect()),
            &mut out,
        );
    }
    if !s.any_of.is_empty() {
        put(
            "anyOf",
            "anyOf",
            J::Array(s.any_of.iter().map(norm_rs).collect()),
            &mut out,
        );
    }
    if !s.one_of.is_empty() {
        put(
            "oneOf",
            "oneOf",
            J::Array(s.one_of.iter().map(norm_rs).collect()),
            &mut out,
        );
    }
    if let Some((sub, repr)) = &s.not {
        put("not", "not", json!([norm_rs(sub), repr]), &mut out);
    }
    let order: &[&str] = if s.order.is_empty() {
        DEFAULT_ORDER
    } else {
        &s.order
    };
    let mut used: Vec<&'static str> = Vec::new();
    for kw in order {
        if let Some(g) = active.iter().find(|g| *g == kw) {
            used.push(g);
        }
    }
    let used = dedup(used);
    if used.len() > 1 {
        out.insert("_order".into(), json!(used));
    }
    J::Object(out)
}

fn first_difference(path: &str, a: &J, b: &J) -> Option<String> {
    match (a, b) {
        (J::Object(x), J::Object(y)) => {
            for k in x.keys().chain(y.keys()) {
                let sub = format!("{path}.{k}");
                match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) => {
                        if let Some(d) = first_difference(&sub, p, q) {
                            return Some(d);
                        }
                    }
                    (p, q) => return Some(format!("{sub}: {p:?} vs {q:?}")),
                }
            }
            None
        }
        (J::Array(x), J::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (p, q))| first_difference(&format!("{path}[{i}]"), p, q)),
        _ if a == b => None,
        _ => Some(format!("{path}: {a} vs {b}")),
    }
}

fn recorded(name: &str) -> J {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/config/schemas.json"
    );
    let text = std::fs::read_to_string(path).expect("schemas.json is committed");
    let all: J = serde_json::from_str(&text).expect("valid JSON");
    all[name].clone()
}

#[test]
fn config_schema_matches_skypilot() {
    let want = norm_py(&recorded("config_schema"));
    let got = norm_rs(config_schema());
    assert_eq!(first_difference("$", &want, &got), None);
}

#[test]
fn task_config_schema_matches_skypilot() {
    let want = norm_py(&recorded("task_config_schema"));
    let got = norm_rs(task_config_schema());
    assert_eq!(first_difference("$", &want, &got), None);
}
