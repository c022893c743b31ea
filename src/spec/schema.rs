//! A small JSON-Schema (draft 7) validator with the exact error messages and
//! best-match rules of Python's `jsonschema`, which SkyPilot uses to reject
//! task YAML. Schemas are built in `schemas.rs`.

use regex::Regex;

use crate::yaml::{Map, Value, py_float_repr, py_str_repr};

use super::schema_match::schema_repr;
pub use super::schema_match::{best_match, first_error, json_path};

/// `additionalProperties` of an object schema.
#[derive(Clone, Debug, Default)]
pub enum Additional {
    /// Unknown keys are fine (the JSON-Schema default).
    #[default]
    Allowed,
    /// Unknown keys are an error.
    Forbidden,
    /// Unknown keys' values must match this schema.
    Schema(Box<Schema>),
}

/// One schema node; empty fields mean "no constraint", as in JSON Schema.
#[derive(Clone, Debug, Default)]
pub struct Schema {
    pub types: Vec<&'static str>,
    pub properties: Vec<(&'static str, Schema)>,
    pub pattern_properties: Vec<(String, Regex, Schema)>,
    pub additional: Additional,
    pub required: Vec<&'static str>,
    pub max_properties: Option<usize>,
    pub items: Option<Box<Schema>>,
    pub min_items: Option<usize>,
    pub max_items: Option<usize>,
    pub unique_items: bool,
    pub any_of: Vec<Schema>,
    pub one_of: Vec<Schema>,
    /// `not`, with the Python repr of the sub-schema for the message.
    pub not: Option<(Box<Schema>, String)>,
    pub pattern: Option<(String, Regex)>,
    pub enum_values: Option<Vec<Value>>,
    /// SkyPilot's `case_insensitive_enum` / `case_sensitive_enum` keywords.
    pub custom_enum: Option<(Vec<String>, bool)>,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    pub exclusive_minimum: Option<f64>,
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
    pub min_properties: Option<usize>,
    /// `propertyNames`: every key of an object must match this schema.
    pub property_names: Option<Box<Schema>>,
    /// Keyword order when it is not the usual one: `jsonschema` checks
    /// keywords in the order the schema dict lists them, and the first
    /// error found is the one reported.
    pub order: Vec<&'static str>,
}

/// Where each keyword's errors start in the error list being built.
type Marks = Vec<(&'static str, usize)>;

/// Notes that the errors of keyword `kw` start here.
fn mark(marks: &mut Marks, kw: &'static str, errs: &[SchemaError]) {
    marks.push((kw, errs.len()));
}

/// Regroups the errors keyword by keyword in `order`.
fn reorder(mut errs: Vec<SchemaError>, marks: &Marks, order: &[&str]) -> Vec<SchemaError> {
    let mut segments = Vec::new();
    for (kw, start) in marks.iter().rev() {
        let rank = order.iter().position(|k| k == kw).unwrap_or(order.len());
        segments.push((rank, errs.split_off(*start)));
    }
    segments.reverse();
    // A stable sort keeps keywords the order does not name where they were.
    segments.sort_by_key(|(rank, _)| *rank);
    segments.into_iter().flat_map(|(_, seg)| seg).collect()
}

/// One element of an instance path.
#[derive(Clone, Debug, PartialEq)]
pub enum PathElem {
    /// A mapping key.
    Key(String),
    /// A sequence index.
    Index(usize),
}

/// A validation error, shaped like `jsonschema.ValidationError`.
#[derive(Clone, Debug)]
pub struct SchemaError {
    pub validator: &'static str,
    pub message: String,
    /// Path relative to the instance its parent validated.
    pub path: Vec<PathElem>,
    pub context: Vec<SchemaError>,
    pub(crate) matches_type: bool,
    /// For `additionalProperties`: the schema's known property names and the
    /// instance's keys, which SkyPilot turns into "did you mean" hints.
    pub known_fields: Vec<String>,
    pub instance_keys: Vec<String>,
    pub has_pattern_properties: bool,
    /// Raised as-is by `validate()` (not picked out of `anyOf` context).
    pub direct: bool,
}

impl SchemaError {
    fn new(validator: &'static str, message: String, schema: &Schema, instance: &Value) -> Self {
        SchemaError {
            validator,
            message,
            path: Vec::new(),
            context: Vec::new(),
            matches_type: !schema.types.is_empty()
                && schema.types.iter().any(|t| is_type(instance, t)),
            known_fields: Vec::new(),
            instance_keys: Vec::new(),
            has_pattern_properties: false,
            direct: false,
        }
    }
}

/// `jsonschema`'s draft-7 type check (integral floats count as integers).
pub fn is_type(v: &Value, ty: &str) -> bool {
    match ty {
        "string" => matches!(v, Value::Str(_)),
        "integer" => matches!(v, Value::Int(_)) || matches!(v, Value::Float(f) if f.fract() == 0.0),
        "number" => matches!(v, Value::Int(_) | Value::Float(_)),
        "boolean" => matches!(v, Value::Bool(_)),
        "object" => matches!(v, Value::Map(_)),
        "array" => matches!(v, Value::Seq(_)),
        "null" => matches!(v, Value::Null),
        _ => false,
    }
}

fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

fn num_repr(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        py_float_repr(f)
    }
}

pub(crate) fn list_repr(items: &[String]) -> String {
    format!(
        "[{}]",
        items
            .iter()
            .map(|s| py_str_repr(s))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// Python equality as used by `enum` and `uniqueItems` (1 == 1.0 == True).
fn py_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (
            Value::Int(_) | Value::Float(_) | Value::Bool(_),
            Value::Int(_) | Value::Float(_) | Value::Bool(_),
        ) => {
            let f = |v: &Value| match v {
                Value::Bool(b) => f64::from(u8::from(*b)),
                other => as_f64(other).unwrap_or(f64::NAN),
            };
            f(a) == f(b)
        }
        _ => a == b,
    }
}

/// Validates `instance`, returning every error in `jsonschema`'s order.
pub fn iter_errors(instance: &Value, schema: &Schema) -> Vec<SchemaError> {
    let mut errs = Vec::new();
    let mut marks = Marks::new();
    mark(&mut marks, "type", &errs);
    if !schema.types.is_empty() && !schema.types.iter().any(|t| is_type(instance, t)) {
        let reprs = schema
            .types
            .iter()
            .map(|t| py_str_repr(t))
            .collect::<Vec<_>>()
            .join(", ");
        errs.push(SchemaError::new(
            "type",
            format!("{} is not of type {reprs}", instance.py_repr()),
            schema,
            instance,
        ));
    }
    if let Value::Map(map) = instance {
        object_errors(map, instance, schema, &mut errs, &mut marks);
    }
    if let Value::Seq(items) = instance {
        array_errors(items, instance, schema, &mut errs, &mut marks);
    }
    if let Value::Str(s) = instance {
        mark(&mut marks, "string", &errs);
        string_errors(s, instance, schema, &mut errs);
    }
    mark(&mut marks, "number", &errs);
    if let Some(n) = as_f64(instance).filter(|_| !matches!(instance, Value::Bool(_))) {
        let r = instance.py_repr();
        if let Some(m) = schema.minimum.filter(|m| n < *m) {
            errs.push(SchemaError::new(
                "minimum",
                format!("{r} is less than the minimum of {}", num_repr(m)),
                schema,
                instance,
            ));
        }
        if let Some(m) = schema.maximum.filter(|m| n > *m) {
            errs.push(SchemaError::new(
                "maximum",
                format!("{r} is greater than the maximum of {}", num_repr(m)),
                schema,
                instance,
            ));
        }
        if let Some(m) = schema.exclusive_minimum.filter(|m| n <= *m) {
            errs.push(SchemaError::new(
                "exclusiveMinimum",
                format!(
                    "{r} is less than or equal to the minimum of {}",
                    num_repr(m)
                ),
                schema,
                instance,
            ));
        }
    }
    mark(&mut marks, "enum", &errs);
    if let Some(values) = &schema.enum_values
        && !values.iter().any(|v| py_eq(v, instance))
    {
        let reprs = Value::Seq(values.clone()).py_repr();
        errs.push(SchemaError::new(
            "enum",
            format!("{} is not one of {reprs}", instance.py_repr()),
            schema,
            instance,
        ));
    }
    mark(&mut marks, "anyOf", &errs);
    if !schema.any_of.is_empty() {
        let mut context = Vec::new();
        let mut ok = false;
        for sub in &schema.any_of {
            let sub_errs = iter_errors(instance, sub);
            if sub_errs.is_empty() {
                ok = true;
                break;
            }
            context.extend(sub_errs);
        }
        if !ok {
            let mut e = SchemaError::new(
                "anyOf",
                format!(
                    "{} is not valid under any of the given schemas",
                    instance.py_repr()
                ),
                schema,
                instance,
            );
            e.context = context;
            errs.push(e);
        }
    }
    mark(&mut marks, "oneOf", &errs);
    if !schema.one_of.is_empty() {
        let mut context = Vec::new();
        let mut valid = Vec::new();
        for sub in &schema.one_of {
            let sub_errs = iter_errors(instance, sub);
            if sub_errs.is_empty() {
                valid.push(sub);
            } else if valid.is_empty() {
                context.extend(sub_errs);
            }
        }
        if valid.is_empty() {
            let mut e = SchemaError::new(
                "oneOf",
                format!(
                    "{} is not valid under any of the given schemas",
                    instance.py_repr()
                ),
                schema,
                instance,
            );
            e.context = context;
            errs.push(e);
        } else if valid.len() > 1 {
            // `jsonschema` lists the later matches, then the first one.
            let reprs: Vec<String> = valid[1..]
                .iter()
                .chain(&valid[..1])
                .map(|s| schema_repr(s))
                .collect();
            errs.push(SchemaError::new(
                "oneOf",
                format!(
                    "{} is valid under each of {}",
                    instance.py_repr(),
                    reprs.join(", ")
                ),
                schema,
                instance,
            ));
        }
    }
    mark(&mut marks, "not", &errs);
    if let Some((sub, repr)) = &schema.not
        && iter_errors(instance, sub).is_empty()
    {
        errs.push(SchemaError::new(
            "not",
            format!("{} should not be valid under {repr}", instance.py_repr()),
            schema,
            instance,
        ));
    }
    if schema.order.is_empty() {
        errs
    } else {
        reorder(errs, &marks, &schema.order)
    }
}

fn object_errors(
    map: &Map,
    instance: &Value,
    schema: &Schema,
    errs: &mut Vec<SchemaError>,
    marks: &mut Marks,
) {
    mark(marks, "required", errs);
    for req in &schema.required {
        if !map.contains(req) {
            errs.push(SchemaError::new(
                "required",
                format!("{} is a required property", py_str_repr(req)),
                schema,
                instance,
            ));
        }
    }
    mark(marks, "maxProperties", errs);
    if let Some(max) = schema.max_properties.filter(|m| map.len() > *m) {
        let msg = if max == 0 {
            "is expected to be empty"
        } else {
            "has too many properties"
        };
        errs.push(SchemaError::new(
            "maxProperties",
            format!("{} {msg}", instance.py_repr()),
            schema,
            instance,
        ));
    }
    mark(marks, "minProperties", errs);
    if let Some(min) = schema.min_properties.filter(|m| map.len() < *m) {
        let msg = if min == 1 {
            "should be non-empty"
        } else {
            "does not have enough properties"
        };
        errs.push(SchemaError::new(
            "minProperties",
            format!("{} {msg}", instance.py_repr()),
            schema,
            instance,
        ));
    }
    mark(marks, "propertyNames", errs);
    if let Some(sub) = &schema.property_names {
        // Key errors carry no path: the key itself is the instance.
        for k in map.keys() {
            errs.extend(iter_errors(k, sub));
        }
    }
    let key_str = |k: &Value| k.py_str();
    let is_known = |k: &Value| {
        k.as_str()
            .is_some_and(|s| schema.properties.iter().any(|(p, _)| *p == s))
            || k.as_str().is_some_and(|s| {
                schema
                    .pattern_properties
                    .iter()
                    .any(|(_, re, _)| re.is_match(s))
            })
    };
    let extras: Vec<&(Value, Value)> = map.iter().filter(|(k, _)| !is_known(k)).collect();
    mark(marks, "additionalProperties", errs);
    match &schema.additional {
        Additional::Allowed => {}
        Additional::Schema(sub) => {
            for (k, v) in &extras {
                push_nested(errs, iter_errors(v, sub), PathElem::Key(key_str(k)));
            }
        }
        Additional::Forbidden if !extras.is_empty() => {
            let mut names: Vec<String> = extras.iter().map(|(k, _)| k.py_repr()).collect();
            names.sort();
            let msg = if schema.pattern_properties.is_empty() {
                let verb = if names.len() == 1 { "was" } else { "were" };
                format!(
                    "Additional properties are not allowed ({} {verb} unexpected)",
                    names.join(", ")
                )
            } else {
                let verb = if names.len() == 1 { "does" } else { "do" };
                let mut pats: Vec<String> = schema
                    .pattern_properties
                    .iter()
                    .map(|(p, _, _)| py_str_repr(p))
                    .collect();
                pats.sort();
                format!(
                    "{} {verb} not match any of the regexes: {}",
                    names.join(", "),
                    pats.join(", ")
                )
            };
            let mut e = SchemaError::new("additionalProperties", msg, schema, instance);
            e.known_fields = schema
                .properties
                .iter()
                .map(|(p, _)| p.to_string())
                .collect();
            e.instance_keys = map.keys().map(key_str).collect();
            e.has_pattern_properties = !schema.pattern_properties.is_empty();
            errs.push(e);
        }
        Additional::Forbidden => {}
    }
    mark(marks, "properties", errs);
    for (name, sub) in &schema.properties {
        if let Some(v) = map.get(name) {
            push_nested(errs, iter_errors(v, sub), PathElem::Key(name.to_string()));
        }
    }
    mark(marks, "patternProperties", errs);
    for (_, re, sub) in &schema.pattern_properties {
        for (k, v) in map.iter() {
            if k.as_str().is_some_and(|s| re.is_match(s)) {
                push_nested(errs, iter_errors(v, sub), PathElem::Key(key_str(k)));
            }
        }
    }
}

fn array_errors(
    items: &[Value],
    instance: &Value,
    schema: &Schema,
    errs: &mut Vec<SchemaError>,
    marks: &mut Marks,
) {
    mark(marks, "items", errs);
    if let Some(sub) = &schema.items {
        for (i, item) in items.iter().enumerate() {
            push_nested(errs, iter_errors(item, sub), PathElem::Index(i));
        }
    }
    mark(marks, "minItems", errs);
    if let Some(min) = schema.min_items.filter(|m| items.len() < *m) {
        let msg = if min == 1 {
            "should be non-empty"
        } else {
            "is too short"
        };
        errs.push(SchemaError::new(
            "minItems",
            format!("{} {msg}", instance.py_repr()),
            schema,
            instance,
        ));
    }
    mark(marks, "maxItems", errs);
    if let Some(max) = schema.max_items.filter(|m| items.len() > *m) {
        let msg = if max == 0 {
            "is expected to be empty"
        } else {
            "is too long"
        };
        errs.push(SchemaError::new(
            "maxItems",
            format!("{} {msg}", instance.py_repr()),
            schema,
            instance,
        ));
    }
    mark(marks, "uniqueItems", errs);
    if schema.unique_items {
        let dup = items
            .iter()
            .enumerate()
            .any(|(i, a)| items[i + 1..].iter().any(|b| py_eq(a, b)));
        if dup {
            errs.push(SchemaError::new(
                "uniqueItems",
                format!("{} has non-unique elements", instance.py_repr()),
                schema,
                instance,
            ));
        }
    }
}

fn string_errors(s: &str, instance: &Value, schema: &Schema, errs: &mut Vec<SchemaError>) {
    let len = s.chars().count();
    if let Some(min) = schema.min_length.filter(|m| len < *m) {
        let msg = if min == 1 {
            "should be non-empty"
        } else {
            "is too short"
        };
        errs.push(SchemaError::new(
            "minLength",
            format!("{} {msg}", instance.py_repr()),
            schema,
            instance,
        ));
    }
    if let Some(max) = schema.max_length.filter(|m| len > *m) {
        let msg = if max == 0 {
            "is expected to be empty"
        } else {
            "is too long"
        };
        errs.push(SchemaError::new(
            "maxLength",
            format!("{} {msg}", instance.py_repr()),
            schema,
            instance,
        ));
    }
    if let Some((src, re)) = &schema.pattern
        && !re.is_match(s)
    {
        errs.push(SchemaError::new(
            "pattern",
            format!("{} does not match {}", instance.py_repr(), py_str_repr(src)),
            schema,
            instance,
        ));
    }
    if let Some((values, case_sensitive)) = &schema.custom_enum {
        let hit = if *case_sensitive {
            values.iter().any(|v| v == s)
        } else {
            values.iter().any(|v| v.to_lowercase() == s.to_lowercase())
        };
        if !hit {
            let name = if *case_sensitive {
                "case_sensitive_enum"
            } else {
                "case_insensitive_enum"
            };
            errs.push(SchemaError::new(
                name,
                format!("{} is not one of {}", instance.py_repr(), list_repr(values)),
                schema,
                instance,
            ));
        }
    }
}

fn push_nested(errs: &mut Vec<SchemaError>, nested: Vec<SchemaError>, elem: PathElem) {
    for mut e in nested {
        e.path.insert(0, elem.clone());
        errs.push(e);
    }
}
