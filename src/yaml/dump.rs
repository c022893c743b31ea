//! YAML output as PyYAML's `yaml.dump(data, Dumper=SafeDumper,
//! sort_keys=False, default_flow_style=False)` writes it, byte for byte:
//! block collections, PyYAML's choice of scalar style, and its folding of
//! long scalars at 80 columns.

use super::load::resolve_plain;
use super::value::{Map, Value, py_float_repr};

const BEST_WIDTH: usize = 80;
const BEST_INDENT: usize = 2;

/// Options for [`dump`].
#[derive(Clone, Copy, Debug, Default)]
pub struct DumpOptions {
    /// A blank line after each top-level entry (SkyPilot's
    /// `LineBreakDumper` in `yaml_utils.dump_yaml_str`).
    pub top_level_blank_lines: bool,
}

/// Dumps one document as PyYAML does.
pub fn dump(value: &Value, opts: DumpOptions) -> String {
    let mut e = Emitter {
        out: String::new(),
        opts,
        column: 0,
        whitespace: true,
        indention: true,
        open_ended: false,
        indent: None,
        indents: Vec::new(),
        flow_level: 0,
    };
    if let Value::Str(s) = value {
        // An empty plain document is written explicitly.
        if s.is_empty() {
            e.write_indent();
            e.write_indicator("---", true, false, false);
        }
    }
    e.node(
        value,
        Ctx {
            root: true,
            ..Ctx::default()
        },
    );
    e.write_indent();
    if e.open_ended {
        e.write_indicator("...", true, false, false);
        e.write_indent();
    }
    e.out
}

#[derive(Clone, Copy, Default)]
struct Ctx {
    root: bool,
    mapping: bool,
    simple_key: bool,
}

struct Analysis {
    empty: bool,
    multiline: bool,
    allow_flow_plain: bool,
    allow_block_plain: bool,
    allow_single_quoted: bool,
}

fn is_break(c: char) -> bool {
    matches!(c, '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_blank_or_end(c: Option<&char>) -> bool {
    c.is_none_or(|c| matches!(c, '\0' | ' ' | '\t' | '\r') || is_break(*c))
}

/// `Emitter.analyze_scalar` (with `allow_unicode=False`).
fn analyze(text: &[char]) -> Analysis {
    if text.is_empty() {
        return Analysis {
            empty: true,
            multiline: false,
            allow_flow_plain: false,
            allow_block_plain: true,
            allow_single_quoted: true,
        };
    }
    let s: String = text.iter().collect();
    let mut block_ind = s.starts_with("---") || s.starts_with("...");
    let mut flow_ind = block_ind;
    let (mut line_breaks, mut special) = (false, false);
    let (mut lead_space, mut lead_break, mut trail_space, mut trail_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let mut preceded_ws = true;
    let mut followed_ws = is_blank_or_end(text.get(1));
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
        preceded_ws = is_blank_or_end(Some(&ch));
        followed_ws = is_blank_or_end(text.get(i + 2));
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
    if break_space {
        a.allow_flow_plain = false;
        a.allow_block_plain = false;
        a.allow_single_quoted = false;
    }
    if space_break || special {
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

/// The text PyYAML's SafeRepresenter writes for a scalar, and whether it
/// reads back as the same type when written plain.
fn scalar_text(v: &Value) -> (String, bool) {
    match v {
        Value::Null => ("null".into(), true),
        Value::Bool(b) => ((if *b { "true" } else { "false" }).into(), true),
        Value::Int(i) => (i.to_string(), true),
        Value::Float(f) => {
            let text = if f.is_nan() {
                ".nan".to_string()
            } else if f.is_infinite() {
                (if *f > 0.0 { ".inf" } else { "-.inf" }).to_string()
            } else {
                let r = py_float_repr(*f).to_lowercase();
                if !r.contains('.') && r.contains('e') {
                    r.replacen('e', ".0e", 1)
                } else {
                    r
                }
            };
            (text, true)
        }
        Value::Str(s) => (s.clone(), resolves_to_str(s)),
        Value::Seq(_) | Value::Map(_) => (String::new(), false),
    }
}

/// Whether PyYAML's resolver reads plain `text` back as a string: no
/// implicit tag (null, bool, int, float, timestamp, `<<`, `=`) matches.
fn resolves_to_str(text: &str) -> bool {
    static TIMESTAMP: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let timestamp = TIMESTAMP.get_or_init(|| {
        regex::Regex::new(concat!(
            r"^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}",
            r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}",
            r"(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)\n?\z"
        ))
        .ok()
    });
    matches!(resolve_plain(text), Value::Str(_))
        && !matches!(text, "<<" | "=")
        && !timestamp.as_ref().is_some_and(|re| re.is_match(text))
}

struct Emitter {
    out: String,
    opts: DumpOptions,
    column: usize,
    whitespace: bool,
    indention: bool,
    open_ended: bool,
    indent: Option<usize>,
    indents: Vec<Option<usize>>,
    flow_level: usize,
}

impl Emitter {
    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        self.indent = match self.indent {
            None => Some(if flow { BEST_INDENT } else { 0 }),
            Some(i) if !indentless => Some(i + BEST_INDENT),
            same => same,
        };
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().flatten();
    }

    fn write(&mut self, data: &str) {
        self.column += data.chars().count();
        self.out.push_str(data);
    }

    fn write_indicator(&mut self, ind: &str, need_ws: bool, whitespace: bool, indention: bool) {
        let data = if self.whitespace || !need_ws {
            ind.to_string()
        } else {
            format!(" {ind}")
        };
        self.whitespace = whitespace;
        self.indention = self.indention && indention;
        self.open_ended = false;
        self.write(&data);
    }

    fn write_indent(&mut self) {
        let indent = self.indent.unwrap_or(0);
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.write_line_break(None);
        }
        if self.column < indent {
            self.whitespace = true;
            let pad = " ".repeat(indent - self.column);
            self.write(&pad);
        }
    }

    fn write_line_break(&mut self, data: Option<char>) {
        self.raw_line_break(data);
        if self.opts.top_level_blank_lines && self.indents.len() == 1 {
            self.raw_line_break(None);
        }
    }

    fn raw_line_break(&mut self, data: Option<char>) {
        self.whitespace = true;
        self.indention = true;
        self.column = 0;
        self.out.push(data.unwrap_or('\n'));
    }

    fn node(&mut self, v: &Value, ctx: Ctx) {
        match v {
            Value::Seq(items) if items.is_empty() || self.flow_level > 0 => {
                self.flow_collection('[', ']');
            }
            Value::Map(m) if m.is_empty() || self.flow_level > 0 => {
                self.flow_collection('{', '}');
            }
            Value::Seq(items) => self.block_sequence(items, ctx),
            Value::Map(m) => self.block_mapping(m),
            scalar => {
                self.increase_indent(true, false);
                self.scalar(scalar, ctx);
                self.pop_indent();
            }
        }
    }

    /// Only empty collections are written in flow style here.
    fn flow_collection(&mut self, open: char, close: char) {
        self.write_indicator(&open.to_string(), true, true, false);
        self.flow_level += 1;
        self.increase_indent(true, false);
        self.pop_indent();
        self.flow_level -= 1;
        self.write_indicator(&close.to_string(), false, false, false);
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

    fn is_simple_key(key: &Value) -> bool {
        match key {
            Value::Seq(s) => s.is_empty(),
            Value::Map(m) => m.is_empty(),
            scalar => {
                let text: Vec<char> = scalar_text(scalar).0.chars().collect();
                let a = analyze(&text);
                text.len() < 128 && !a.empty && !a.multiline
            }
        }
    }

    fn block_mapping(&mut self, map: &Map) {
        self.increase_indent(false, false);
        let value_ctx = Ctx {
            mapping: true,
            ..Ctx::default()
        };
        for (k, v) in map.iter() {
            self.write_indent();
            if Self::is_simple_key(k) {
                let key_ctx = Ctx {
                    mapping: true,
                    simple_key: true,
                    ..Ctx::default()
                };
                self.node(k, key_ctx);
                self.write_indicator(":", false, false, false);
            } else {
                self.write_indicator("?", true, false, true);
                self.node(k, value_ctx);
                self.write_indent();
                self.write_indicator(":", true, false, true);
            }
            self.node(v, value_ctx);
        }
        self.pop_indent();
    }

    fn scalar(&mut self, v: &Value, ctx: Ctx) {
        let (text, implicit) = scalar_text(v);
        let chars: Vec<char> = text.chars().collect();
        let a = analyze(&chars);
        let split = !ctx.simple_key;
        let plain_ok = if self.flow_level > 0 {
            a.allow_flow_plain
        } else {
            a.allow_block_plain
        };
        if implicit && !(ctx.simple_key && (a.empty || a.multiline)) && plain_ok {
            self.write_plain(&chars, split, ctx.root);
        } else if a.allow_single_quoted && !(ctx.simple_key && a.multiline) {
            self.write_single_quoted(&chars, split);
        } else {
            self.write_double_quoted(&chars, split);
        }
    }

    fn write_plain(&mut self, text: &[char], split: bool, root: bool) {
        if root {
            self.open_ended = true;
        }
        if text.is_empty() {
            return;
        }
        if !self.whitespace {
            self.write(" ");
        }
        self.whitespace = false;
        self.indention = false;
        self.write_runs(text, split, false);
    }

    fn write_single_quoted(&mut self, text: &[char], split: bool) {
        self.write_indicator("'", true, false, false);
        self.write_runs(text, split, true);
        self.write_indicator("'", false, false, false);
    }

    /// The shared body of PyYAML's `write_plain` and `write_single_quoted`:
    /// runs of text, folded at spaces past the width, breaks doubled.
    fn write_runs(&mut self, text: &[char], split: bool, quoted: bool) {
        let (mut spaces, mut breaks) = (false, false);
        let (mut start, mut end) = (0, 0);
        let chunk = |t: &[char], a: usize, b: usize| -> String { t[a..b].iter().collect() };
        while end <= text.len() {
            let ch = text.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    let fold = start + 1 == end
                        && self.column > BEST_WIDTH
                        && split
                        && (!quoted || (start != 0 && end != text.len()));
                    if fold {
                        self.write_indent();
                        if !quoted {
                            self.whitespace = false;
                            self.indention = false;
                        }
                    } else {
                        self.write(&chunk(text, start, end));
                    }
                    start = end;
                }
            } else if breaks {
                if ch.is_none_or(|c| !is_break(c)) {
                    if text[start] == '\n' {
                        self.write_line_break(None);
                    }
                    for &br in &text[start..end] {
                        self.write_line_break(if br == '\n' { None } else { Some(br) });
                    }
                    self.write_indent();
                    if !quoted {
                        self.whitespace = false;
                        self.indention = false;
                    }
                    start = end;
                }
            } else if ch.is_none_or(|c| c == ' ' || is_break(c) || (quoted && c == '\''))
                && start < end
            {
                self.write(&chunk(text, start, end));
                start = end;
            }
            if quoted && ch == Some('\'') {
                self.write("''");
                start = end + 1;
            }
            if let Some(c) = ch {
                spaces = c == ' ';
                breaks = is_break(c);
            }
            end += 1;
        }
    }

    fn write_double_quoted(&mut self, text: &[char], split: bool) {
        self.write_indicator("\"", true, false, false);
        let (mut start, mut end) = (0, 0);
        while end <= text.len() {
            let ch = text.get(end).copied();
            let escape = ch.is_none_or(|c| {
                matches!(
                    c,
                    '"' | '\\' | '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{FEFF}'
                ) || !(' '..='~').contains(&c)
            });
            if escape {
                if start < end {
                    let data: String = text[start..end].iter().collect();
                    self.write(&data);
                    start = end;
                }
                if let Some(c) = ch {
                    self.write(&escaped(c));
                    start = end + 1;
                }
            }
            if 0 < end
                && end + 1 < text.len()
                && (ch == Some(' ') || start >= end)
                && (self.column + end) as isize - start as isize > BEST_WIDTH as isize
                && split
            {
                let mut data: String = text[start.min(end)..end].iter().collect();
                data.push('\\');
                if start < end {
                    start = end;
                }
                self.write(&data);
                self.write_indent();
                self.whitespace = false;
                self.indention = false;
                if text.get(start) == Some(&' ') {
                    self.write("\\");
                }
            }
            end += 1;
        }
        self.write_indicator("\"", false, false, false);
    }
}

/// PyYAML's escape for one character in a double-quoted scalar.
fn escaped(c: char) -> String {
    let short = match c {
        '\0' => Some('0'),
        '\u{07}' => Some('a'),
        '\u{08}' => Some('b'),
        '\t' => Some('t'),
        '\n' => Some('n'),
        '\u{0B}' => Some('v'),
        '\u{0C}' => Some('f'),
        '\r' => Some('r'),
        '\u{1B}' => Some('e'),
        '"' => Some('"'),
        '\\' => Some('\\'),
        '\u{85}' => Some('N'),
        '\u{A0}' => Some('_'),
        '\u{2028}' => Some('L'),
        '\u{2029}' => Some('P'),
        _ => None,
    };
    let code = c as u32;
    match short {
        Some(s) => format!("\\{s}"),
        None if code <= 0xFF => format!("\\x{code:02X}"),
        None if code <= 0xFFFF => format!("\\u{code:04X}"),
        None => format!("\\U{code:08X}"),
    }
}
