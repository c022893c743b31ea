//! YAML loading with PyYAML's `SafeLoader` semantics (YAML 1.1 scalars,
//! merge keys, anchors), on the pure-Rust event parser behind serde-saphyr.
//!
//! We build the tree from parser events instead of through serde because
//! SkyPilot's behaviour depends on details serde hides: which plain
//! scalars are numbers (`1e3` is a string in YAML 1.1, `0o7` too), the raw
//! key text used for duplicate detection, and the line of each key.

use std::collections::HashMap;

use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle, Span, Tag};

use super::value::{Map, Value};

/// Why a YAML text could not be loaded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum YamlError {
    /// The text is not well-formed YAML.
    #[error("{0}")]
    Syntax(String),
    /// A mapping repeats a key (SkyPilot rejects these).
    #[error(
        "Duplicate key {key} in YAML at line {line} (also defined at line {prev}). \
         Remove one of the entries so the intended value is unambiguous."
    )]
    DuplicateKey {
        /// Python repr of the key.
        key: String,
        /// Line of the second occurrence (1-based).
        line: usize,
        /// Line of the first occurrence (1-based).
        prev: usize,
    },
    /// A construct PyYAML's safe loader refuses (unknown tags, bad merges).
    #[error("{0}")]
    Construct(String),
}

/// Loads the first document (`None` body -> `Value::Null`), like `yaml.safe_load`.
pub fn load(text: &str) -> Result<Value, YamlError> {
    Ok(load_all(text)?.into_iter().next().unwrap_or(Value::Null))
}

/// Loads every document, like `yaml.safe_load_all`, rejecting duplicate
/// keys as SkyPilot's `check_no_duplicate_keys` does.
pub fn load_all(text: &str) -> Result<Vec<Value>, YamlError> {
    load_docs(text, true)
}

/// Loads every document exactly like `yaml.safe_load_all`: a repeated key
/// keeps its first position and takes the last value.
pub fn load_all_lenient(text: &str) -> Result<Vec<Value>, YamlError> {
    load_docs(text, false)
}

fn load_docs(text: &str, reject_duplicates: bool) -> Result<Vec<Value>, YamlError> {
    let mut builder = Builder {
        parser: Parser::new_from_str(text),
        anchors: HashMap::new(),
        reject_duplicates,
    };
    let mut docs = Vec::new();
    loop {
        let (event, span) = builder.next()?;
        match event {
            Event::StreamStart | Event::DocumentEnd => {}
            Event::DocumentStart(..) => {
                builder.anchors.clear();
                let (ev, sp) = builder.next()?;
                if matches!(ev, Event::DocumentEnd) {
                    docs.push(Value::Null);
                    continue;
                }
                docs.push(builder.node(ev, sp)?);
            }
            Event::StreamEnd => break,
            _ => return Err(syntax_at("unexpected YAML event", &span)),
        }
    }
    Ok(docs)
}

struct Builder<'a> {
    parser: Parser<'a, serde_saphyr::granit_parser::StrInput<'a>>,
    anchors: HashMap<usize, Value>,
    reject_duplicates: bool,
}

fn syntax_at(msg: &str, span: &Span) -> YamlError {
    YamlError::Syntax(format!(
        "{msg} at line {}, column {}",
        span.start.line(),
        span.start.col() + 1
    ))
}

impl<'a> Builder<'a> {
    fn next(&mut self) -> Result<(Event<'a>, Span), YamlError> {
        match self.parser.next_event() {
            None => Ok((Event::StreamEnd, Span::default())),
            Some(Err(e)) => Err(YamlError::Syntax(e.to_string())),
            Some(Ok(pair)) => Ok(pair),
        }
    }

    fn node(&mut self, event: Event<'a>, span: Span) -> Result<Value, YamlError> {
        match event {
            Event::Alias(id) => self
                .anchors
                .get(&id)
                .cloned()
                .ok_or_else(|| syntax_at("found undefined alias", &span)),
            Event::Scalar(text, style, anchor, tag) => {
                let v = resolve_scalar(&text, style, tag.as_deref(), &span)?;
                if anchor > 0 {
                    self.anchors.insert(anchor, v.clone());
                }
                Ok(v)
            }
            Event::SequenceStart(_, anchor, tag) => {
                check_collection_tag(tag.as_deref(), "seq", &span)?;
                let mut items = Vec::new();
                loop {
                    let (ev, sp) = self.next()?;
                    if matches!(ev, Event::SequenceEnd) {
                        break;
                    }
                    items.push(self.node(ev, sp)?);
                }
                let v = Value::Seq(items);
                if anchor > 0 {
                    self.anchors.insert(anchor, v.clone());
                }
                Ok(v)
            }
            Event::MappingStart(_, anchor, tag) => {
                check_collection_tag(tag.as_deref(), "map", &span)?;
                let v = Value::Map(self.mapping()?);
                if anchor > 0 {
                    self.anchors.insert(anchor, v.clone());
                }
                Ok(v)
            }
            _ => Err(syntax_at("unexpected YAML event", &span)),
        }
    }

    fn mapping(&mut self) -> Result<Map, YamlError> {
        // Raw key text -> first line, for SkyPilot's duplicate-key check.
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut merged: Vec<(Value, Value)> = Vec::new();
        let mut own: Vec<(Value, Value)> = Vec::new();
        loop {
            let (ev, sp) = self.next()?;
            if matches!(ev, Event::MappingEnd) {
                break;
            }
            let line = sp.start.line();
            let raw_key = match &ev {
                Event::Scalar(text, ..) => Some(text.to_string()),
                _ => None,
            };
            let is_merge =
                matches!(&ev, Event::Scalar(t, ScalarStyle::Plain, _, None) if t == "<<");
            let key = self.node(ev, sp)?;
            if let Some(raw) = raw_key.filter(|_| self.reject_duplicates) {
                if let Some(prev) = seen.get(&raw) {
                    return Err(YamlError::DuplicateKey {
                        key: Value::Str(raw).py_repr(),
                        line,
                        prev: *prev,
                    });
                }
                seen.insert(raw, line);
            }
            let (vev, vsp) = self.next()?;
            let value = self.node(vev, vsp)?;
            if is_merge {
                merge_into(&mut merged, value)?;
            } else {
                own.push((key, value));
            }
        }
        // PyYAML puts merged pairs first; later pairs override earlier ones
        // but keep the first position, as a dict does.
        let mut out = Map::new();
        for (k, v) in merged.into_iter().chain(own) {
            out.insert(k, v);
        }
        Ok(out)
    }
}

fn merge_into(merged: &mut Vec<(Value, Value)>, value: Value) -> Result<(), YamlError> {
    let err = || {
        YamlError::Construct(
            "while constructing a mapping: expected a mapping or list of mappings for merging"
                .into(),
        )
    };
    match value {
        Value::Map(m) => merged.extend(m.0),
        Value::Seq(items) => {
            // Earlier maps in the list win over later ones.
            let mut acc: Vec<(Value, Value)> = Vec::new();
            for item in items.into_iter().rev() {
                match item {
                    Value::Map(m) => acc.extend(m.0),
                    _ => return Err(err()),
                }
            }
            merged.extend(acc);
        }
        _ => return Err(err()),
    }
    Ok(())
}

fn check_collection_tag(tag: Option<&Tag>, kind: &str, span: &Span) -> Result<(), YamlError> {
    match tag {
        None => Ok(()),
        Some(t) if t.is_yaml_core_schema_tag(kind) => Ok(()),
        Some(t) => Err(unknown_tag(t, span)),
    }
}

fn unknown_tag(tag: &Tag, span: &Span) -> YamlError {
    YamlError::Construct(format!(
        "could not determine a constructor for the tag '{}{}' (line {})",
        tag.handle(),
        tag.suffix(),
        span.start.line()
    ))
}

fn resolve_scalar(
    text: &str,
    style: ScalarStyle,
    tag: Option<&Tag>,
    span: &Span,
) -> Result<Value, YamlError> {
    if let Some(tag) = tag {
        let bad = || {
            YamlError::Construct(format!(
                "invalid value {text:?} for tag (line {})",
                span.start.line()
            ))
        };
        if !tag.is_yaml_core_schema() {
            if tag.handle() == "!" && tag.suffix().is_empty() {
                return Ok(Value::Str(text.to_string()));
            }
            return Err(unknown_tag(tag, span));
        }
        return match tag.suffix() {
            "str" => Ok(Value::Str(text.to_string())),
            "int" => construct_int(text).ok_or_else(bad),
            "float" => construct_float(text).ok_or_else(bad),
            "bool" => construct_bool(text).map(Value::Bool).ok_or_else(bad),
            "null" => Ok(Value::Null),
            _ => Err(unknown_tag(tag, span)),
        };
    }
    if style != ScalarStyle::Plain {
        return Ok(Value::Str(text.to_string()));
    }
    Ok(resolve_plain(text))
}

/// PyYAML's implicit resolvers for plain scalars (YAML 1.1).
pub fn resolve_plain(text: &str) -> Value {
    if matches!(text, "" | "~" | "null" | "Null" | "NULL") {
        return Value::Null;
    }
    if let Some(b) = construct_bool(text) {
        return Value::Bool(b);
    }
    if is_yaml11_int(text)
        && let Some(v) = construct_int(text)
    {
        return v;
    }
    if is_yaml11_float(text)
        && let Some(v) = construct_float(text)
    {
        return v;
    }
    Value::Str(text.to_string())
}

fn construct_bool(text: &str) -> Option<bool> {
    match text {
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => Some(true),
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => Some(false),
        _ => None,
    }
}

fn split_sign(text: &str) -> (bool, &str) {
    match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    }
}

fn all_in(s: &str, ok: impl Fn(u8) -> bool) -> bool {
    !s.is_empty() && s.bytes().all(ok)
}

fn is_sexagesimal_tail(parts: &[&str]) -> bool {
    parts.iter().all(|p| {
        let b = p.as_bytes();
        (b.len() == 1 || b.len() == 2)
            && b.iter().all(u8::is_ascii_digit)
            && (b.len() == 1 || b[0] <= b'5')
    })
}

fn is_yaml11_int(text: &str) -> bool {
    let (_, body) = split_sign(text);
    if let Some(bin) = body.strip_prefix("0b") {
        return all_in(bin, |c| c == b'0' || c == b'1' || c == b'_');
    }
    if let Some(hex) = body.strip_prefix("0x") {
        return all_in(hex, |c| c.is_ascii_hexdigit() || c == b'_');
    }
    if body == "0" {
        return true;
    }
    if let Some(oct) = body.strip_prefix('0') {
        return all_in(oct, |c| (b'0'..=b'7').contains(&c) || c == b'_');
    }
    let mut parts = body.split(':');
    let head = parts.next().unwrap_or("");
    let tail: Vec<&str> = parts.collect();
    let head_ok = head
        .as_bytes()
        .first()
        .is_some_and(|c| (b'1'..=b'9').contains(c))
        && all_in(head, |c| c.is_ascii_digit() || c == b'_');
    head_ok && is_sexagesimal_tail(&tail)
}

fn construct_int(text: &str) -> Option<Value> {
    let cleaned = text.replace('_', "");
    let (neg, body) = split_sign(&cleaned);
    let magnitude: i128 = if body == "0" {
        0
    } else if let Some(b) = body.strip_prefix("0b") {
        i128::from_str_radix(b, 2).ok()?
    } else if let Some(h) = body.strip_prefix("0x") {
        i128::from_str_radix(h, 16).ok()?
    } else if let Some(o) = body.strip_prefix('0') {
        i128::from_str_radix(o, 8).ok()?
    } else if body.contains(':') {
        let mut acc: i128 = 0;
        for part in body.split(':') {
            acc = acc
                .checked_mul(60)?
                .checked_add(part.parse::<i128>().ok()?)?;
        }
        acc
    } else {
        body.parse::<i128>().ok()?
    };
    let v = if neg { -magnitude } else { magnitude };
    i64::try_from(v).ok().map(Value::Int)
}

fn is_yaml11_float(text: &str) -> bool {
    let (_, body) = split_sign(text);
    if matches!(body, ".inf" | ".Inf" | ".INF") {
        return true;
    }
    if matches!(text, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    // [0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*  (sexagesimal float)
    if body.contains(':') {
        let Some((int_part, frac)) = body.rsplit_once('.') else {
            return false;
        };
        let mut parts = int_part.split(':');
        let head = parts.next().unwrap_or("");
        let tail: Vec<&str> = parts.collect();
        return head.as_bytes().first().is_some_and(u8::is_ascii_digit)
            && all_in(head, |c| c.is_ascii_digit() || c == b'_')
            && !tail.is_empty()
            && is_sexagesimal_tail(&tail)
            && frac.bytes().all(|c| c.is_ascii_digit() || c == b'_');
    }
    // [0-9][0-9_]*\.[0-9_]*([eE][-+][0-9]+)?  or  \.[0-9_]+([eE][-+][0-9]+)?
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    if let Some(exp) = exponent {
        let Some(digits) = exp.strip_prefix(['-', '+']) else {
            return false;
        };
        if !all_in(digits, |c| c.is_ascii_digit()) {
            return false;
        }
    }
    let Some((int_part, frac)) = mantissa.split_once('.') else {
        return false;
    };
    let frac_ok = frac.bytes().all(|c| c.is_ascii_digit() || c == b'_');
    if int_part.is_empty() {
        // Leading-dot form takes no sign in PyYAML's resolver.
        return text.as_bytes().first() == Some(&b'.') && !frac.is_empty() && frac_ok;
    }
    int_part.as_bytes()[0].is_ascii_digit()
        && all_in(int_part, |c| c.is_ascii_digit() || c == b'_')
        && frac_ok
}

fn construct_float(text: &str) -> Option<Value> {
    let cleaned = text.replace('_', "").to_ascii_lowercase();
    let (neg, body) = split_sign(&cleaned);
    let sign = if neg { -1.0 } else { 1.0 };
    let v = if body == ".inf" {
        f64::INFINITY
    } else if body == ".nan" {
        f64::NAN
    } else if body.contains(':') {
        let mut acc = 0.0f64;
        for part in body.split(':') {
            acc = acc * 60.0 + part.parse::<f64>().ok()?;
        }
        acc
    } else {
        let b = if body.ends_with('.') {
            format!("{body}0")
        } else {
            body.to_string()
        };
        b.parse::<f64>().ok()?
    };
    Some(Value::Float(sign * v))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: &str) -> Value {
        load(&format!("k: {s}"))
            .unwrap()
            .as_map()
            .unwrap()
            .get("k")
            .unwrap()
            .clone()
    }

    #[test]
    fn yaml11_scalars() {
        assert_eq!(one("yes"), Value::Bool(true));
        assert_eq!(one("Off"), Value::Bool(false));
        assert_eq!(one("1e3"), Value::Str("1e3".into()));
        assert_eq!(one("1.0e+3"), Value::Float(1000.0));
        assert_eq!(one("010"), Value::Int(8));
        assert_eq!(one("0x1F"), Value::Int(31));
        assert_eq!(one("1:30"), Value::Int(90));
        assert_eq!(one("1_000"), Value::Int(1000));
        assert_eq!(one("4+"), Value::Str("4+".into()));
        assert_eq!(one("V100:4"), Value::Str("V100:4".into()));
        assert_eq!(one("'8080'"), Value::Str("8080".into()));
        assert_eq!(one("~"), Value::Null);
        assert_eq!(one(""), Value::Null);
        assert_eq!(one("3."), Value::Float(3.0));
        assert_eq!(one(".5"), Value::Float(0.5));
        assert_eq!(one("!!str 5"), Value::Str("5".into()));
    }

    #[test]
    fn duplicate_keys_name_both_lines() {
        let err = load("name: a\nrun: x\nname: b\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "Duplicate key 'name' in YAML at line 3 (also defined at line 1). \
             Remove one of the entries so the intended value is unambiguous."
        );
    }

    #[test]
    fn anchors_and_merge_keys() {
        let v = load("base: &b {cpus: 4, memory: 8}\nr:\n  <<: *b\n  cpus: 8\n").unwrap();
        let r = v
            .as_map()
            .unwrap()
            .get("r")
            .unwrap()
            .as_map()
            .unwrap()
            .clone();
        assert_eq!(r.get("cpus"), Some(&Value::Int(8)));
        assert_eq!(r.get("memory"), Some(&Value::Int(8)));
        assert_eq!(r.keys().next().unwrap().as_str(), Some("cpus"));
    }

    #[test]
    fn multi_document() {
        let docs = load_all("name: a\n---\nrun: b\n").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(load("").unwrap(), Value::Null);
    }
}
