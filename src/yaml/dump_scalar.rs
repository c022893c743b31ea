//! Scalars for the YAML writer: the text PyYAML's representer gives each
//! value, whether it may be written plain, and which quoting style the
//! emitter's `analyze_scalar` allows.

use crate::yaml::{Value, py_float_repr};
use regex::Regex;
use std::sync::OnceLock;

/// Which PyYAML style a scalar is written in.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Style {
    Plain,
    Single,
    Double,
}

/// `Emitter.analyze_scalar`'s verdict.
pub(crate) struct Analysis {
    pub empty: bool,
    pub multiline: bool,
    pub allow_flow_plain: bool,
    pub allow_block_plain: bool,
    pub allow_single_quoted: bool,
}

/// A YAML line break character.
pub(crate) fn is_break(c: char) -> bool {
    matches!(c, '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_space_or_break(c: char) -> bool {
    matches!(c, '\0' | ' ' | '\t' | '\r') || is_break(c)
}

/// `Emitter.analyze_scalar`: which styles can write `text` faithfully.
pub(crate) fn analyze(text: &[char]) -> Analysis {
    if text.is_empty() {
        return Analysis {
            empty: true,
            multiline: false,
            allow_flow_plain: false,
            allow_block_plain: true,
            allow_single_quoted: true,
        };
    }
    let (mut block_ind, mut flow_ind, mut line_breaks, mut special) = (false, false, false, false);
    let (mut lead_space, mut lead_break, mut trail_space, mut trail_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let starts = |p: &str| text.iter().take(3).copied().eq(p.chars());
    if starts("---") || starts("...") {
        block_ind = true;
        flow_ind = true;
    }
    let mut preceded_ws = true;
    let mut followed_ws = text.len() == 1 || is_space_or_break(text[1]);
    let (mut prev_space, mut prev_break) = (false, false);
    let last = text.len() - 1;
    for (i, &ch) in text.iter().enumerate() {
        if i == 0 {
            if "#,[]{}&*!|>'\"%@`".contains(ch) {
                flow_ind = true;
                block_ind = true;
            }
            if ch == '?' || ch == ':' {
                flow_ind = true;
                block_ind |= followed_ws;
            }
            if ch == '-' && followed_ws {
                flow_ind = true;
                block_ind = true;
            }
        } else {
            if ",?[]{}".contains(ch) {
                flow_ind = true;
            }
            if ch == ':' {
                flow_ind = true;
                block_ind |= followed_ws;
            }
            if ch == '#' && preceded_ws {
                flow_ind = true;
                block_ind = true;
            }
        }
        if is_break(ch) {
            line_breaks = true;
        }
        // Without allow_unicode every non-ASCII printable is "special" too.
        if !(ch == '\n' || (' '..='~').contains(&ch)) {
            special = true;
        }
        if ch == ' ' {
            lead_space |= i == 0;
            trail_space |= i == last;
            break_space |= prev_break;
            prev_space = true;
            prev_break = false;
        } else if is_break(ch) {
            lead_break |= i == 0;
            trail_break |= i == last;
            space_break |= prev_space;
            prev_space = false;
            prev_break = true;
        } else {
            prev_space = false;
            prev_break = false;
        }
        preceded_ws = is_space_or_break(ch);
        followed_ws = i + 2 >= text.len() || is_space_or_break(text[i + 2]);
    }
    let mut a = Analysis {
        empty: false,
        multiline: line_breaks,
        allow_flow_plain: true,
        allow_block_plain: true,
        allow_single_quoted: true,
    };
    if lead_space || lead_break || trail_space || trail_break {
        a.allow_flow_plain = false;
        a.allow_block_plain = false;
    }
    if break_space || space_break || special {
        a.allow_flow_plain = false;
        a.allow_block_plain = false;
        a.allow_single_quoted = false;
    }
    if line_breaks {
        a.allow_flow_plain = false;
        a.allow_block_plain = false;
    }
    if flow_ind {
        a.allow_flow_plain = false;
    }
    if block_ind {
        a.allow_block_plain = false;
    }
    a
}

fn full_match(re: &'static OnceLock<Regex>, pattern: &str, text: &str) -> bool {
    let re = re.get_or_init(|| {
        Regex::new(&format!(r"\A(?x:{pattern})\z"))
            .unwrap_or_else(|e| panic!("resolver regex: {e}"))
    });
    // Python's `$` also matches before one trailing newline.
    re.is_match(text) || text.strip_suffix('\n').is_some_and(|t| re.is_match(t))
}

/// Whether PyYAML's implicit resolvers read `text`, written plain, as
/// something other than a string (so a string must be quoted).
fn resolves_to_non_str(text: &str) -> bool {
    static BOOL: OnceLock<Regex> = OnceLock::new();
    static FLOAT: OnceLock<Regex> = OnceLock::new();
    static INT: OnceLock<Regex> = OnceLock::new();
    static NULL: OnceLock<Regex> = OnceLock::new();
    static TIMESTAMP: OnceLock<Regex> = OnceLock::new();
    let first = text.chars().next();
    let starts_with = |set: &str| first.is_some_and(|c| set.contains(c));
    if text.is_empty() {
        return true;
    }
    (starts_with("yYnNtTfFoO")
        && full_match(
            &BOOL,
            r"yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF",
            text,
        ))
        || (starts_with("-+0123456789.")
            && full_match(
                &FLOAT,
                r"[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
                  |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
                  |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
                  |[-+]?\.(?:inf|Inf|INF)
                  |\.(?:nan|NaN|NAN)",
                text,
            ))
        || (starts_with("-+0123456789")
            && full_match(
                &INT,
                r"[-+]?0b[0-1_]+
                  |[-+]?0[0-7_]+
                  |[-+]?(?:0|[1-9][0-9_]*)
                  |[-+]?0x[0-9a-fA-F_]+
                  |[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+",
                text,
            ))
        || text.strip_suffix('\n').unwrap_or(text) == "<<"
        || (starts_with("~nN") && full_match(&NULL, r"~|null|Null|NULL", text))
        || (starts_with("0123456789")
            && full_match(
                &TIMESTAMP,
                r"[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
                  |[0-9][0-9][0-9][0-9]\x20?-[0-9][0-9]?\x20?-[0-9][0-9]?
                   (?:[Tt]|[\x20\t]+)[0-9][0-9]?
                   :[0-9][0-9]\x20?:[0-9][0-9]\x20?(?:\.[0-9]*)?
                   (?:[\x20\t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?",
                text,
            ))
        || text.strip_suffix('\n').unwrap_or(text) == "="
}

/// A scalar as the representer hands it over: its text and whether it may
/// be written plain without changing its type (`implicit[0]`).
pub(crate) fn scalar_text(v: &Value) -> (String, bool) {
    match v {
        Value::Null => ("null".into(), true),
        Value::Bool(b) => ((if *b { "true" } else { "false" }).into(), true),
        Value::Int(i) => (i.to_string(), true),
        Value::Float(f) => (float_text(*f), true),
        Value::Str(s) => (s.clone(), !resolves_to_non_str(s)),
        Value::Seq(_) | Value::Map(_) => (String::new(), true),
    }
}

/// `SafeRepresenter.represent_float`.
fn float_text(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf" } else { "-.inf" }.into();
    }
    let s = py_float_repr(f).to_lowercase();
    if !s.contains('.') && s.contains('e') {
        s.replacen('e', ".0e", 1)
    } else {
        s
    }
}

/// A double-quoted escape (`Emitter.ESCAPE_REPLACEMENTS`, else `\x`/`\u`/`\U`).
pub(crate) fn escape(c: char) -> String {
    let short = match c {
        '\0' => Some('0'),
        '\x07' => Some('a'),
        '\x08' => Some('b'),
        '\t' => Some('t'),
        '\n' => Some('n'),
        '\x0B' => Some('v'),
        '\x0C' => Some('f'),
        '\r' => Some('r'),
        '\x1B' => Some('e'),
        '"' => Some('"'),
        '\\' => Some('\\'),
        '\u{85}' => Some('N'),
        '\u{A0}' => Some('_'),
        '\u{2028}' => Some('L'),
        '\u{2029}' => Some('P'),
        _ => None,
    };
    match short {
        Some(s) => format!("\\{s}"),
        None if (c as u32) <= 0xFF => format!("\\x{:02X}", c as u32),
        None if (c as u32) <= 0xFFFF => format!("\\u{:04X}", c as u32),
        None => format!("\\U{:08X}", c as u32),
    }
}
