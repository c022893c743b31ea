//! Which schema error `jsonschema` reports: its relevance ranking,
//! `best_match` into `anyOf`/`oneOf` context, and the JSON path it prints.

use std::cmp::Ordering;

use super::schema::{PathElem, Schema, SchemaError, iter_errors, list_repr};
use crate::yaml::{Value, py_str_repr};

/// `jsonschema.exceptions.relevance`, as a comparison.
fn relevance_cmp(a: &SchemaError, b: &SchemaError) -> Ordering {
    let weak = |e: &SchemaError| matches!(e.validator, "anyOf" | "oneOf");
    (b.path.len().cmp(&a.path.len()))
        .then_with(|| path_cmp(&a.path, &b.path))
        .then_with(|| (!weak(a)).cmp(&!weak(b)))
        .then_with(|| (!a.matches_type).cmp(&!b.matches_type))
}

fn path_cmp(a: &[PathElem], b: &[PathElem]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = match (x, y) {
            (PathElem::Key(p), PathElem::Key(q)) => p.cmp(q),
            (PathElem::Index(p), PathElem::Index(q)) => p.cmp(q),
            (PathElem::Index(_), PathElem::Key(_)) => Ordering::Less,
            (PathElem::Key(_), PathElem::Index(_)) => Ordering::Greater,
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

/// `jsonschema.exceptions.best_match`; returns the error and its absolute path.
pub fn best_match(errors: Vec<SchemaError>) -> Option<(SchemaError, Vec<PathElem>)> {
    // `max` keeps the first of equal elements in Python; Rust's keeps the last.
    let mut best: Option<SchemaError> = None;
    for e in errors {
        match &best {
            Some(b) if relevance_cmp(&e, b) != Ordering::Greater => {}
            _ => best = Some(e),
        }
    }
    let mut best = best?;
    let mut abs = best.path.clone();
    while !best.context.is_empty() {
        let mut ctx = std::mem::take(&mut best.context);
        // A stable sort keeps the first of equal elements, as heapq.nsmallest does.
        ctx.sort_by(relevance_cmp);
        if ctx.len() >= 2 && relevance_cmp(&ctx[0], &ctx[1]) == Ordering::Equal {
            best.context = ctx;
            return Some((best, abs));
        }
        best = ctx.swap_remove(0);
        abs.extend(best.path.iter().cloned());
    }
    Some((best, abs))
}

/// `ValidationError.json_path` for an absolute path.
pub fn json_path(path: &[PathElem]) -> String {
    let mut out = String::from("$");
    for elem in path {
        match elem {
            PathElem::Index(i) => out.push_str(&format!("[{i}]")),
            PathElem::Key(k)
                if k.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
                    && k.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_') =>
            {
                out.push('.');
                out.push_str(k);
            }
            PathElem::Key(k) => {
                out.push_str("['");
                out.push_str(&k.replace('\\', "\\\\").replace('\'', "\\'"));
                out.push_str("']");
            }
        }
    }
    out
}

/// What `Validator(schema).validate(obj)` raises: the first error in
/// iteration order, then `best_match` into `anyOf`/`oneOf` context unless
/// it is an `additionalProperties` error (which SkyPilot words itself).
pub fn first_error(instance: &Value, schema: &Schema) -> Option<(SchemaError, Vec<PathElem>)> {
    let mut first = iter_errors(instance, schema).into_iter().next()?;
    if first.validator == "additionalProperties" {
        first.direct = true;
        let path = first.path.clone();
        return Some((first, path));
    }
    best_match(vec![first])
}

/// Python's repr of a small schema dict (`type`, `required`, `pattern`),
/// as `oneOf` messages print the schemas an instance matched.
pub(crate) fn schema_repr(s: &Schema) -> String {
    let mut parts = Vec::new();
    match s.types.as_slice() {
        [] => {}
        [t] => parts.push(format!("'type': {}", py_str_repr(t))),
        ts => {
            let names: Vec<String> = ts.iter().map(|t| t.to_string()).collect();
            parts.push(format!("'type': {}", list_repr(&names)));
        }
    }
    if !s.required.is_empty() {
        let names: Vec<String> = s.required.iter().map(|r| r.to_string()).collect();
        parts.push(format!("'required': {}", list_repr(&names)));
    }
    if let Some((p, _)) = &s.pattern {
        parts.push(format!("'pattern': {}", py_str_repr(p)));
    }
    format!("{{{}}}", parts.join(", "))
}
