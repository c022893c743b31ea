//! YAML output byte-for-byte as PyYAML's pure-Python `SafeDumper` writes it
//! with `sort_keys=False, default_flow_style=False` (what SkyPilot's
//! `yaml_utils.dump_yaml_str` uses), optionally with SkyPilot's
//! `LineBreakDumper` blank line between top-level entries.
//!
//! The emitter follows PyYAML's state machine closely (indent stack,
//! `whitespace`/`indention` flags, the 80-column folding of plain and quoted
//! scalars) because task YAML shown to users and stored by controllers must
//! read exactly as SkyPilot's does.

use super::load::resolve_plain;
use super::value::{Value, py_float_repr};

const BEST_INDENT: usize = 2;
const BEST_WIDTH: usize = 80;

/// `yaml_utils.dump_yaml_str(doc)`: one document, blank lines between
/// top-level entries.
pub fn dump_yaml_str(doc: &Value) -> String {
    Emitter::new(true).stream(std::slice::from_ref(doc))
}

/// `yaml_utils.dump_yaml_str([doc, ...])`: a multi-document stream.
pub fn dump_yaml_all_str(docs: &[Value]) -> String {
    Emitter::new(true).stream(docs)
}

/// `yaml.safe_dump(doc, sort_keys=False, default_flow_style=False)`.
pub fn safe_dump(doc: &Value) -> String {
    Emitter::new(false).stream(std::slice::from_ref(doc))
}

fn is_break(c: char) -> bool {
    matches!(c, '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_space_or_break(c: char) -> bool {
    matches!(c, '\0' | ' ' | '\t' | '\r') || is_break(c)
}

/// The YAML tag a scalar was represented with.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tag {
    Null,
    Bool,
    Int,
    Float,
    Str,
    /// Tags only the resolver produces (timestamps, `=`, `<<`).
    Other,
}

impl Tag {
    fn short(self) -> &'static str {
        match self {
            Tag::Null => "!!null",
            Tag::Bool => "!!bool",
            Tag::Int => "!!int",
            Tag::Float => "!!float",
            Tag::Str | Tag::Other => "!!str",
        }
    }
}

/// The tag PyYAML's implicit resolver gives `text` as a plain scalar.
fn plain_tag(text: &str) -> Tag {
    if text == "=" || text == "<<" || is_timestamp(text) {
        return Tag::Other;
    }
    match resolve_plain(text) {
        Value::Null => Tag::Null,
        Value::Bool(_) => Tag::Bool,
        Value::Int(_) => Tag::Int,
        Value::Float(_) => Tag::Float,
        _ => Tag::Str,
    }
}

/// PyYAML's implicit `timestamp` pattern (YAML 1.1).
fn is_timestamp(text: &str) -> bool {
    static RE: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(
            r"^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)\n?$",
        )
        .ok()
    })
    .as_ref()
    .is_some_and(|re| re.is_match(text))
}

/// A represented scalar: its text, tag and PyYAML's `implicit` pair
/// (plain resolves to the tag, quoted resolves to the tag).
struct Scalar {
    text: Vec<char>,
    tag: Tag,
    implicit: (bool, bool),
}

fn represent(v: &Value) -> Scalar {
    let (text, tag) = match v {
        Value::Null => ("null".to_string(), Tag::Null),
        Value::Bool(b) => ((if *b { "true" } else { "false" }).to_string(), Tag::Bool),
        Value::Int(i) => (i.to_string(), Tag::Int),
        Value::Float(f) => (float_text(*f), Tag::Float),
        Value::Str(s) => (s.clone(), Tag::Str),
        Value::Seq(_) | Value::Map(_) => (String::new(), Tag::Other),
    };
    let implicit = (plain_tag(&text) == tag, tag == Tag::Str);
    Scalar {
        text: text.chars().collect(),
        tag,
        implicit,
    }
}

/// `SafeRepresenter.represent_float`.
fn float_text(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            ".inf".into()
        } else {
            "-.inf".into()
        };
    }
    let text = py_float_repr(f).to_lowercase();
    if !text.contains('.') && text.contains('e') {
        return text.replacen('e', ".0e", 1);
    }
    text
}

/// `Emitter.analyze_scalar`, for a dumper without `allow_unicode`.
struct Analysis {
    empty: bool,
    multiline: bool,
    allow_block_plain: bool,
    allow_single_quoted: bool,
}

fn analyze(s: &[char]) -> Analysis {
    if s.is_empty() {
        return Analysis {
            empty: true,
            multiline: false,
            allow_block_plain: true,
            allow_single_quoted: true,
        };
    }
    let starts = |p: &str| s.iter().take(3).copied().eq(p.chars());
    // Only block-context indicators matter: nothing is written in flow style.
    let mut block_ind = starts("---") || starts("...");
    let (mut line_breaks, mut special) = (false, false);
    let (mut lead_space, mut lead_break, mut trail_space, mut trail_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let mut preceded_ws = true;
    let mut followed_ws = s.len() == 1 || is_space_or_break(s[1]);
    let (mut prev_space, mut prev_break) = (false, false);
    let last = s.len() - 1;
    for (i, &ch) in s.iter().enumerate() {
        block_ind |= if i == 0 {
            "#,[]{}&*!|>'\"%@`".contains(ch) || ("?:-".contains(ch) && followed_ws)
        } else {
            (ch == ':' && followed_ws) || (ch == '#' && preceded_ws)
        };
        line_breaks |= is_break(ch);
        if !(ch == '\n' || (' '..='~').contains(&ch)) {
            special = true;
        }
        if ch == ' ' {
            lead_space |= i == 0;
            trail_space |= i == last;
            break_space |= prev_break;
            (prev_space, prev_break) = (true, false);
        } else if is_break(ch) {
            lead_break |= i == 0;
            trail_break |= i == last;
            space_break |= prev_space;
            (prev_space, prev_break) = (false, true);
        } else {
            (prev_space, prev_break) = (false, false);
        }
        preceded_ws = is_space_or_break(ch);
        followed_ws = i + 2 >= s.len() || is_space_or_break(s[i + 2]);
    }
    let mut a = Analysis {
        empty: false,
        multiline: line_breaks,
        allow_block_plain: true,
        allow_single_quoted: true,
    };
    if lead_space || lead_break || trail_space || trail_break || line_breaks {
        a.allow_block_plain = false;
    }
    if break_space || space_break || special {
        a.allow_block_plain = false;
        a.allow_single_quoted = false;
    }
    if block_ind {
        a.allow_block_plain = false;
    }
    a
}

/// Where a node sits (PyYAML's `*_context` flags).
#[derive(Clone, Copy, Default)]
struct Ctx {
    root: bool,
    mapping: bool,
    simple_key: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum Style {
    Plain,
    Single,
    Double,
}

struct Emitter {
    out: String,
    indents: Vec<Option<usize>>,
    indent: Option<usize>,
    column: usize,
    whitespace: bool,
    indention: bool,
    open_ended: bool,
    /// SkyPilot's `LineBreakDumper`: an extra line break at top level.
    spaced: bool,
}

impl Emitter {
    fn new(spaced: bool) -> Self {
        Emitter {
            out: String::new(),
            indents: Vec::new(),
            indent: None,
            column: 0,
            whitespace: true,
            indention: true,
            open_ended: false,
            spaced,
        }
    }

    fn stream(mut self, docs: &[Value]) -> String {
        for (i, doc) in docs.iter().enumerate() {
            if i > 0 {
                self.write_indent();
                self.write_indicator("---", true, false, false);
            }
            self.node(
                doc,
                Ctx {
                    root: true,
                    ..Ctx::default()
                },
            );
            self.write_indent();
        }
        if self.open_ended {
            self.write_indicator("...", true, false, false);
            self.write_indent();
        }
        self.out
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        self.indent = match self.indent {
            None if flow => Some(BEST_INDENT),
            None => Some(0),
            Some(i) if !indentless => Some(i + BEST_INDENT),
            same => same,
        };
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().flatten();
    }

    fn node(&mut self, v: &Value, ctx: Ctx) {
        match v {
            Value::Seq(items) if !items.is_empty() => self.block_sequence(items, ctx),
            Value::Map(m) if !m.is_empty() => self.block_mapping(m),
            // With default_flow_style=False only empty collections are
            // written in flow style, so no scalar is ever inside a flow.
            Value::Seq(_) => self.empty_flow("[", "]"),
            Value::Map(_) => self.empty_flow("{", "}"),
            scalar => {
                self.increase_indent(true, false);
                self.scalar(&represent(scalar), ctx);
                self.pop_indent();
            }
        }
    }

    fn empty_flow(&mut self, open: &str, close: &str) {
        self.write_indicator(open, true, true, false);
        self.write_indicator(close, false, false, false);
    }

    fn block_sequence(&mut self, items: &[Value], ctx: Ctx) {
        let indentless = ctx.mapping && !self.indention;
        self.increase_indent(false, indentless);
        for item in items {
            self.write_indent();
            self.write_indicator("-", true, false, true);
            self.node(item, Ctx::default());
        }
        self.pop_indent();
    }

    fn block_mapping(&mut self, m: &super::Map) {
        self.increase_indent(false, false);
        let in_map = Ctx {
            mapping: true,
            ..Ctx::default()
        };
        for (k, v) in m.iter() {
            self.write_indent();
            if is_simple_key(k) {
                self.node(
                    k,
                    Ctx {
                        simple_key: true,
                        ..in_map
                    },
                );
                self.write_indicator(":", false, false, false);
            } else {
                self.write_indicator("?", true, false, true);
                self.node(k, in_map);
                self.write_indent();
                self.write_indicator(":", true, false, true);
            }
            self.node(v, in_map);
        }
        self.pop_indent();
    }

    fn choose_style(s: &Scalar, a: &Analysis, ctx: Ctx) -> Style {
        if s.implicit.0 && !(ctx.simple_key && (a.empty || a.multiline)) && a.allow_block_plain {
            return Style::Plain;
        }
        if a.allow_single_quoted && !(ctx.simple_key && a.multiline) {
            return Style::Single;
        }
        Style::Double
    }

    fn scalar(&mut self, s: &Scalar, ctx: Ctx) {
        let a = analyze(&s.text);
        let style = Self::choose_style(s, &a, ctx);
        let implicit = if style == Style::Plain {
            s.implicit.0
        } else {
            s.implicit.1
        };
        if !implicit {
            self.write_indicator(s.tag.short(), true, false, false);
        }
        let split = !ctx.simple_key;
        match style {
            Style::Plain => self.write_plain(&s.text, split, ctx.root),
            Style::Single => self.write_single_quoted(&s.text, split),
            Style::Double => self.write_double_quoted(&s.text, split),
        }
    }

    fn write(&mut self, data: &[char]) {
        self.column += data.len();
        self.out.extend(data);
    }

    fn write_indicator(&mut self, ind: &str, need_ws: bool, whitespace: bool, indention: bool) {
        if !self.whitespace && need_ws {
            self.out.push(' ');
            self.column += 1;
        }
        self.out.push_str(ind);
        self.column += ind.chars().count();
        self.whitespace = whitespace;
        self.indention = self.indention && indention;
        self.open_ended = false;
    }

    fn write_indent(&mut self) {
        let indent = self.indent.unwrap_or(0);
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.write_line_break(None);
        }
        if self.column < indent {
            self.whitespace = true;
            self.out
                .extend(std::iter::repeat_n(' ', indent - self.column));
            self.column = indent;
        }
    }

    fn raw_line_break(&mut self, br: char) {
        self.whitespace = true;
        self.indention = true;
        self.column = 0;
        self.out.push(br);
    }

    fn write_line_break(&mut self, br: Option<char>) {
        self.raw_line_break(br.unwrap_or('\n'));
        if self.spaced && self.indents.len() == 1 {
            self.raw_line_break('\n');
        }
    }

    /// Writes the run of breaks `text[start..end]` as a quoted/plain scalar does.
    fn write_breaks(&mut self, text: &[char]) {
        if text.first() == Some(&'\n') {
            self.write_line_break(None);
        }
        for &br in text {
            self.write_line_break(if br == '\n' { None } else { Some(br) });
        }
        self.write_indent();
    }

    fn write_plain(&mut self, text: &[char], split: bool, root: bool) {
        if root {
            self.open_ended = true;
        }
        if text.is_empty() {
            return;
        }
        if !self.whitespace {
            self.write(&[' ']);
        }
        self.whitespace = false;
        self.indention = false;
        self.write_folding(text, split, false);
    }

    fn write_single_quoted(&mut self, text: &[char], split: bool) {
        self.write_indicator("'", true, false, false);
        self.write_folding(text, split, true);
        self.write_indicator("'", false, false, false);
    }

    /// The body of a plain or single-quoted scalar (PyYAML's `write_plain`
    /// and `write_single_quoted`): folds at a single space past the width,
    /// writes breaks as the scalar style needs, doubles quotes when quoted.
    fn write_folding(&mut self, text: &[char], split: bool, quoted: bool) {
        let (mut spaces, mut breaks) = (false, false);
        let mut start = 0;
        for end in 0..=text.len() {
            let ch = text.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    // A quoted scalar never folds at its first or last space.
                    let inner = !quoted || (start != 0 && end != text.len());
                    if start + 1 == end && self.column > BEST_WIDTH && split && inner {
                        self.write_indent();
                        if !quoted {
                            self.whitespace = false;
                            self.indention = false;
                        }
                    } else {
                        self.write(&text[start..end]);
                    }
                    start = end;
                }
            } else if breaks {
                if !ch.is_some_and(is_break) {
                    self.write_breaks(&text[start..end]);
                    if !quoted {
                        self.whitespace = false;
                        self.indention = false;
                    }
                    start = end;
                }
            } else if ch.is_none_or(|c| c == ' ' || is_break(c) || (quoted && c == '\''))
                && start < end
            {
                self.write(&text[start..end]);
                start = end;
            }
            if quoted && ch == Some('\'') {
                self.write(&['\'', '\'']);
                start = end + 1;
            }
            if let Some(c) = ch {
                spaces = c == ' ';
                breaks = is_break(c);
            }
        }
    }

    fn write_double_quoted(&mut self, text: &[char], split: bool) {
        self.write_indicator("\"", true, false, false);
        let mut start = 0;
        for end in 0..=text.len() {
            let ch = text.get(end).copied();
            let escape = ch.is_none_or(|c| {
                matches!(
                    c,
                    '"' | '\\' | '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{FEFF}'
                ) || !(' '..='~').contains(&c)
            });
            if escape {
                if start < end {
                    self.write(&text[start..end]);
                    start = end;
                }
                if let Some(c) = ch {
                    let data: Vec<char> = escape_char(c).chars().collect();
                    self.write(&data);
                    start = end + 1;
                }
            }
            if 0 < end
                && end + 1 < text.len()
                && (ch == Some(' ') || start >= end)
                && self.column as isize + end as isize - start as isize > BEST_WIDTH as isize
                && split
            {
                let mut data: Vec<char> = text[start.min(end)..end].to_vec();
                data.push('\\');
                if start < end {
                    start = end;
                }
                self.write(&data);
                self.write_indent();
                self.whitespace = false;
                self.indention = false;
                if text[start] == ' ' {
                    self.write(&['\\']);
                }
            }
        }
        self.write_indicator("\"", false, false, false);
    }
}

/// `Emitter.check_simple_key` for a mapping key.
fn is_simple_key(k: &Value) -> bool {
    match k {
        Value::Seq(items) => items.is_empty(),
        Value::Map(m) => m.is_empty(),
        scalar => {
            let s = represent(scalar);
            let a = analyze(&s.text);
            s.text.len() < 128 && !a.empty && !a.multiline
        }
    }
}

/// PyYAML's double-quoted escape for one character.
fn escape_char(c: char) -> String {
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
    match (short, c as u32) {
        (Some(s), _) => format!("\\{s}"),
        (None, n) if n <= 0xFF => format!("\\x{n:02X}"),
        (None, n) if n <= 0xFFFF => format!("\\u{n:04X}"),
        (None, n) => format!("\\U{n:08X}"),
    }
}

#[cfg(test)]
#[path = "dump_tests.rs"]
mod tests;
