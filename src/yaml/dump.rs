//! Writing YAML exactly as PyYAML's `SafeDumper` does with
//! `default_flow_style=False, sort_keys=False` (block style, insertion
//! order, ASCII only, 80-column folding), optionally with SkyPilot's
//! `LineBreakDumper` blank line between top-level entries.

use crate::yaml::Value;
use crate::yaml::dump_scalar::{Style, analyze, escape, is_break, scalar_text};

const BEST_WIDTH: usize = 80;
const BEST_INDENT: usize = 2;

/// `yaml.safe_dump(v, default_flow_style=False, sort_keys=False)`.
pub fn safe_dump(v: &Value) -> String {
    Emitter::new(false).dump_all(std::slice::from_ref(v))
}

/// SkyPilot's `yaml_utils.dump_yaml_str(config)` for one document: a blank
/// line separates top-level entries.
pub fn dump_yaml_str(doc: &Value) -> String {
    Emitter::new(true).dump_all(std::slice::from_ref(doc))
}

/// `yaml_utils.dump_yaml_str([doc, ...])`: documents separated by `---`.
pub fn dump_yaml_all_str(docs: &[Value]) -> String {
    Emitter::new(true).dump_all(docs)
}

/// Where a node sits (PyYAML's `*_context` flags).
#[derive(Clone, Copy, Default)]
struct Ctx {
    root: bool,
    mapping: bool,
    simple_key: bool,
}

/// PyYAML's `Emitter` state, driven by a walk over the value tree.
struct Emitter {
    out: String,
    column: usize,
    whitespace: bool,
    indention: bool,
    open_ended: bool,
    indent: Option<usize>,
    indents: Vec<Option<usize>>,
    flow_level: usize,
    /// SkyPilot's `LineBreakDumper`: every line break at the top level is
    /// doubled.
    top_level_blank_lines: bool,
}

impl Emitter {
    fn new(top_level_blank_lines: bool) -> Self {
        Emitter {
            out: String::new(),
            column: 0,
            whitespace: true,
            indention: true,
            open_ended: false,
            indent: None,
            indents: Vec::new(),
            flow_level: 0,
            top_level_blank_lines,
        }
    }

    fn dump_all(mut self, docs: &[Value]) -> String {
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
            Some(i) => Some(i),
        };
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().flatten();
    }

    fn node(&mut self, v: &Value, ctx: Ctx) {
        match v {
            Value::Seq(items) if self.flow_level > 0 || items.is_empty() => {
                self.flow_sequence(items)
            }
            Value::Seq(items) => self.block_sequence(items, ctx),
            Value::Map(m) if self.flow_level > 0 || m.is_empty() => self.flow_mapping(&m.0),
            Value::Map(m) => self.block_mapping(&m.0),
            scalar => {
                self.increase_indent(true, false);
                self.scalar(scalar, ctx);
                self.pop_indent();
            }
        }
    }

    fn flow_sequence(&mut self, items: &[Value]) {
        self.write_indicator("[", true, true, false);
        self.flow_level += 1;
        self.increase_indent(true, false);
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.write_indicator(",", false, false, false);
            }
            if self.column > BEST_WIDTH {
                self.write_indent();
            }
            self.node(item, Ctx::default());
        }
        self.pop_indent();
        self.flow_level -= 1;
        self.write_indicator("]", false, false, false);
    }

    fn flow_mapping(&mut self, pairs: &[(Value, Value)]) {
        self.write_indicator("{", true, true, false);
        self.flow_level += 1;
        self.increase_indent(true, false);
        for (i, (k, v)) in pairs.iter().enumerate() {
            if i > 0 {
                self.write_indicator(",", false, false, false);
            }
            if self.column > BEST_WIDTH {
                self.write_indent();
            }
            self.mapping_entry(k, v, true);
        }
        self.pop_indent();
        self.flow_level -= 1;
        self.write_indicator("}", false, false, false);
    }

    /// One `key: value` pair; keys that cannot be simple use `? key`.
    fn mapping_entry(&mut self, k: &Value, v: &Value, flow: bool) {
        if is_simple_key(k) {
            self.node(k, key_ctx());
            self.write_indicator(":", false, false, false);
        } else {
            self.write_indicator("?", true, false, !flow);
            self.node(k, value_ctx());
            if !flow || self.column > BEST_WIDTH {
                self.write_indent();
            }
            self.write_indicator(":", true, false, !flow);
        }
        self.node(v, value_ctx());
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

    fn block_mapping(&mut self, pairs: &[(Value, Value)]) {
        self.increase_indent(false, false);
        for (k, v) in pairs {
            self.write_indent();
            self.mapping_entry(k, v, false);
        }
        self.pop_indent();
    }

    fn scalar(&mut self, v: &Value, ctx: Ctx) {
        let (text, implicit) = scalar_text(v);
        let chars: Vec<char> = text.chars().collect();
        let a = analyze(&chars);
        let plain_ok = if self.flow_level > 0 {
            a.allow_flow_plain
        } else {
            a.allow_block_plain
        };
        let style = if implicit && !(ctx.simple_key && (a.empty || a.multiline)) && plain_ok {
            Style::Plain
        } else if a.allow_single_quoted && !(ctx.simple_key && a.multiline) {
            Style::Single
        } else {
            Style::Double
        };
        let split = !ctx.simple_key;
        match style {
            Style::Plain => self.write_plain(&chars, split, ctx.root),
            Style::Single => self.write_single_quoted(&chars, split),
            Style::Double => self.write_double_quoted(&chars, split),
        }
    }

    fn write(&mut self, data: &str) {
        self.column += data.chars().count();
        self.out.push_str(data);
    }

    fn write_chars(&mut self, data: &[char]) {
        self.column += data.len();
        self.out.extend(data);
    }

    fn write_indicator(
        &mut self,
        indicator: &str,
        need_whitespace: bool,
        whitespace: bool,
        indention: bool,
    ) {
        if !self.whitespace && need_whitespace {
            self.write(" ");
        }
        self.write(indicator);
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
            let pad = " ".repeat(indent - self.column);
            self.write(&pad);
        }
    }

    fn write_line_break(&mut self, data: Option<char>) {
        self.raw_line_break(data.unwrap_or('\n'));
        if self.top_level_blank_lines && self.indents.len() == 1 {
            self.raw_line_break('\n');
        }
    }

    fn raw_line_break(&mut self, c: char) {
        self.whitespace = true;
        self.indention = true;
        self.column = 0;
        self.out.push(c);
    }

    /// Writes the line breaks in `text` (a run of breaks), then indents.
    fn write_breaks(&mut self, text: &[char]) {
        if text.first() == Some(&'\n') {
            self.write_line_break(None);
        }
        for &br in text {
            self.write_line_break((br != '\n').then_some(br));
        }
        self.write_indent();
    }

    fn write_single_quoted(&mut self, text: &[char], split: bool) {
        self.write_indicator("'", true, false, false);
        self.write_folded_text(text, split, true);
        self.write_indicator("'", false, false, false);
    }

    fn write_double_quoted(&mut self, text: &[char], split: bool) {
        self.write_indicator("\"", true, false, false);
        let (mut start, mut end) = (0, 0);
        while end <= text.len() {
            let ch = text.get(end).copied();
            let needs_escape = ch.is_none_or(|c| {
                matches!(
                    c,
                    '"' | '\\' | '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{FEFF}'
                ) || !(' '..='~').contains(&c)
            });
            if needs_escape {
                if start < end {
                    self.write_chars(&text[start..end]);
                    start = end;
                }
                if let Some(c) = ch {
                    let data = escape(c);
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
        self.write_folded_text(text, split, false);
    }

    /// The body of a plain or single-quoted scalar: a lone space past the
    /// width becomes a line break, line breaks are doubled (folding), and
    /// quotes double inside single quotes.
    fn write_folded_text(&mut self, text: &[char], split: bool, quoted: bool) {
        let (mut spaces, mut breaks) = (false, false);
        let (mut start, mut end) = (0, 0);
        while end <= text.len() {
            let ch = text.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    let inner = !quoted || (start != 0 && end != text.len());
                    if start + 1 == end && self.column > BEST_WIDTH && split && inner {
                        self.write_indent();
                        self.whitespace = false;
                        self.indention = false;
                    } else {
                        self.write_chars(&text[start..end]);
                    }
                    start = end;
                }
            } else if breaks {
                if !ch.is_some_and(is_break) {
                    self.write_breaks(&text[start..end]);
                    self.whitespace = false;
                    self.indention = false;
                    start = end;
                }
            } else if ch.is_none_or(|c| c == ' ' || (quoted && c == '\'') || is_break(c)) {
                self.write_chars(&text[start..end]);
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
}

fn key_ctx() -> Ctx {
    Ctx {
        mapping: true,
        simple_key: true,
        ..Ctx::default()
    }
}

fn value_ctx() -> Ctx {
    Ctx {
        mapping: true,
        ..Ctx::default()
    }
}

/// `Emitter.check_simple_key` for a mapping key.
fn is_simple_key(k: &Value) -> bool {
    match k {
        Value::Seq(s) => s.is_empty(),
        Value::Map(m) => m.is_empty(),
        scalar => {
            let (text, _) = scalar_text(scalar);
            let n = text.chars().count();
            n < 128 && n > 0 && !text.chars().any(is_break)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{Map, load};

    fn map(pairs: &[(&str, Value)]) -> Value {
        Value::Map(Map(pairs
            .iter()
            .map(|(k, v)| (Value::from(*k), v.clone()))
            .collect()))
    }

    #[test]
    fn blank_line_between_top_level_keys() {
        let inner = map(&[("A", Value::Null)]);
        let fm = map(&[("/d", Value::from("s3://$A"))]);
        let v = map(&[("envs", inner), ("file_mounts", fm)]);
        assert_eq!(
            dump_yaml_str(&v),
            "envs:\n  A: null\n\nfile_mounts:\n  /d: s3://$A\n"
        );
        assert_eq!(
            safe_dump(&v),
            "envs:\n  A: null\nfile_mounts:\n  /d: s3://$A\n"
        );
    }

    #[test]
    fn quoting_follows_the_resolver() {
        let v = map(&[
            ("a", Value::from("123")),
            ("b", Value::from("yes")),
            ("c", Value::from("")),
            ("d", Value::from("2001-12-14")),
            ("e", Value::from("x: y")),
            ("f", Value::from("it's")),
            ("g", Value::from("line1\nline2")),
            ("h", Value::from("tab\there")),
            ("i", Value::from("ñ")),
            ("j", Value::Float(1e17)),
            ("k", Value::Seq(vec![])),
            ("l", Value::Seq(vec![Value::Int(1), Value::from("- x")])),
        ]);
        assert_eq!(
            safe_dump(&v),
            "a: '123'\nb: 'yes'\nc: ''\nd: '2001-12-14'\ne: 'x: y'\nf: it's\n\
             g: 'line1\n\n  line2'\nh: \"tab\\there\"\ni: \"\\xF1\"\nj: 1.0e+17\nk: []\nl:\n- 1\n- '- x'\n"
        );
    }

    #[test]
    fn long_plain_scalars_fold_at_80_columns() {
        let words = vec!["word"; 30].join(" ");
        let out = safe_dump(&map(&[("run", Value::from(words.as_str()))]));
        for line in out.lines() {
            assert!(line.len() <= 85, "{line}");
        }
        assert_eq!(load(&out).ok(), Some(map(&[("run", Value::from(words))])));
    }

    #[test]
    fn root_scalar_is_open_ended() {
        assert_eq!(safe_dump(&Value::from("abc")), "abc\n...\n");
        assert_eq!(
            dump_yaml_all_str(&[map(&[("a", Value::Int(1))]), map(&[("b", Value::Int(2))])]),
            "a: 1\n---\n\nb: 2\n"
        );
    }
}
