//! `.env` files as python-dotenv 1.x's `dotenv_values` reads them (what
//! `--env-file` / `--secret-file` use): `export` prefixes, quoted and
//! unquoted values, comments, keys without values (`None`), and POSIX
//! `${VAR}` / `${VAR:-default}` expansion from earlier keys, then the
//! process environment.

/// The bindings of a dotenv file, in file order (later keys win).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dotenv {
    /// `(key, value)`; `None` for a bare `KEY` line.
    pub values: Vec<(String, Option<String>)>,
    /// 1-based lines of statements python-dotenv could not parse.
    pub bad_lines: Vec<usize>,
}

/// Parses dotenv `text`, expanding variables against `environ`.
pub fn parse(text: &str, environ: &dyn Fn(&str) -> Option<String>) -> Dotenv {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = Reader {
        chars: text.chars().collect(),
        pos: 0,
        line: 1,
    };
    let mut out = Dotenv::default();
    while reader.pos < reader.chars.len() {
        let mark_line = reader.line;
        match parse_binding(&mut reader) {
            Ok(Some((key, value))) => out.values.push((key, value)),
            Ok(None) => {}
            Err(()) => {
                out.bad_lines.push(mark_line);
                reader.skip_rest_of_line();
            }
        }
    }
    out.values = resolve(out.values, environ);
    out
}

struct Reader {
    chars: Vec<char>,
    pos: usize,
    line: usize,
}

impl Reader {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn advance(&mut self, n: usize) -> String {
        let end = (self.pos + n).min(self.chars.len());
        let s: String = self.chars[self.pos..end].iter().collect();
        // python-dotenv counts `\r\n`, `\n` and `\r` each as one line break.
        let mut prev = '\0';
        for c in s.chars() {
            if c == '\n' && prev != '\r' || c == '\r' {
                self.line += 1;
            }
            prev = c;
        }
        self.pos = end;
        s
    }

    /// Consumes characters while `pred` holds; returns them.
    fn take_while(&mut self, pred: impl Fn(char) -> bool) -> String {
        let n = self.chars[self.pos..]
            .iter()
            .take_while(|c| pred(**c))
            .count();
        self.advance(n)
    }

    fn skip_inline_space(&mut self) -> String {
        self.take_while(|c| c.is_whitespace() && c != '\r' && c != '\n')
    }

    fn skip_rest_of_line(&mut self) {
        self.take_while(|c| c != '\r' && c != '\n');
        if self.peek() == Some('\r') {
            self.advance(1);
            if self.peek() == Some('\n') {
                self.advance(1);
            }
        } else if self.peek() == Some('\n') {
            self.advance(1);
        }
    }

    fn at_end_of_line(&self) -> bool {
        matches!(self.peek(), None | Some('\r') | Some('\n'))
    }
}

type Binding = Option<(String, Option<String>)>;

fn parse_binding(r: &mut Reader) -> Result<Binding, ()> {
    r.take_while(char::is_whitespace);
    if r.peek().is_none() {
        return Ok(None);
    }
    // `export KEY=...`
    let rest: String = r.chars[r.pos..].iter().take(7).collect();
    if rest.starts_with("export")
        && rest
            .chars()
            .nth(6)
            .is_some_and(|c| c.is_whitespace() && c != '\r' && c != '\n')
    {
        r.advance(6);
        r.skip_inline_space();
    }
    let key = match r.peek() {
        Some('#') => None,
        Some('\'') => {
            let len = r.chars[r.pos + 1..]
                .iter()
                .take_while(|c| **c != '\'')
                .count();
            if len == 0 || r.chars.get(r.pos + 1 + len) != Some(&'\'') {
                return Err(());
            }
            let k = r.advance(len + 2);
            Some(k[1..k.len() - 1].to_string())
        }
        _ => {
            let k = r.take_while(|c| c != '=' && c != '#' && !c.is_whitespace());
            if k.is_empty() {
                return Err(());
            }
            Some(k)
        }
    };
    r.skip_inline_space();
    let value = if r.peek() == Some('=') {
        r.advance(1);
        let space = r.skip_inline_space();
        if !space.is_empty() && r.peek() == Some('#') {
            // `KEY= # comment`: empty value, the rest is a comment.
            Some(String::new())
        } else {
            Some(parse_value(r)?)
        }
    } else {
        None
    };
    // An optional comment, then the end of the line.
    let save = r.pos;
    r.skip_inline_space();
    if r.peek() == Some('#') {
        r.take_while(|c| c != '\r' && c != '\n');
    } else {
        r.pos = save;
    }
    r.skip_inline_space();
    if !r.at_end_of_line() {
        return Err(());
    }
    r.skip_rest_of_line();
    Ok(key.map(|k| (k, value)))
}

fn parse_value(r: &mut Reader) -> Result<String, ()> {
    match r.peek() {
        Some(q @ ('\'' | '"')) => {
            // A backslash always escapes the next character.
            let mut i = r.pos + 1;
            loop {
                match r.chars.get(i) {
                    None => return Err(()),
                    Some('\\') if i + 1 < r.chars.len() => i += 2,
                    Some('\\') => return Err(()),
                    Some(c) if *c == q => break,
                    Some(_) => i += 1,
                }
            }
            let raw = r.advance(i + 1 - r.pos);
            let inner = &raw[1..raw.len() - 1];
            Ok(decode_escapes(inner, q == '"'))
        }
        None | Some('\r') | Some('\n') => Ok(String::new()),
        Some(_) => {
            let part = r.take_while(|c| c != '\r' && c != '\n');
            // `re.sub(r"\s+#.*", "", part).rstrip()`
            let chars: Vec<char> = part.chars().collect();
            let cut = (1..chars.len())
                .find(|&i| chars[i] == '#' && chars[i - 1].is_whitespace())
                .map(|i| {
                    let mut s = i - 1;
                    while s > 0 && chars[s - 1].is_whitespace() {
                        s -= 1;
                    }
                    s
                });
            let kept: String = match cut {
                Some(c) => chars[..c].iter().collect(),
                None => part.clone(),
            };
            Ok(kept.trim_end().to_string())
        }
    }
}

/// `decode_escapes`: `\\` and `\'` in single quotes; also `\"` and the
/// C escapes `\a\b\f\n\r\t\v` in double quotes.
fn decode_escapes(s: &str, double: bool) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let decoded = match chars.peek().copied() {
            Some(n @ ('\\' | '\'')) => Some(n),
            Some('"') if double => Some('"'),
            Some(n) if double => match n {
                'a' => Some('\x07'),
                'b' => Some('\x08'),
                'f' => Some('\x0c'),
                'n' => Some('\n'),
                'r' => Some('\r'),
                't' => Some('\t'),
                'v' => Some('\x0b'),
                _ => None,
            },
            _ => None,
        };
        match decoded {
            Some(d) => {
                out.push(d);
                chars.next();
            }
            None => out.push('\\'),
        }
    }
    out
}

/// `resolve_variables(override=True)`: `${NAME}` / `${NAME:-default}` from
/// the keys read so far, else the process environment, else the default.
fn resolve(
    values: Vec<(String, Option<String>)>,
    environ: &dyn Fn(&str) -> Option<String>,
) -> Vec<(String, Option<String>)> {
    // A dict: a key keeps its first position and takes its last value.
    let mut done: Vec<(String, Option<String>)> = Vec::new();
    for (key, value) in values {
        let resolved = value.map(|v| expand(&v, &done, environ));
        match done.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = resolved,
            None => done.push((key, resolved)),
        }
    }
    done
}

fn expand(
    v: &str,
    done: &[(String, Option<String>)],
    environ: &dyn Fn(&str) -> Option<String>,
) -> String {
    let mut out = String::new();
    let mut rest = v;
    while let Some(start) = rest.find("${") {
        let Some(close) = rest[start + 2..].find('}') else {
            break;
        };
        let body = &rest[start + 2..start + 2 + close];
        // The name may not contain `:`; anything after `:-` is the default.
        let (name, default) = match body.find(':') {
            Some(i) if body[i..].starts_with(":-") => (&body[..i], Some(&body[i + 2..])),
            Some(_) => {
                out.push_str(&rest[..start + 2]);
                rest = &rest[start + 2..];
                continue;
            }
            None => (body, None),
        };
        out.push_str(&rest[..start]);
        let found = match done.iter().find(|(k, _)| k == name) {
            Some((_, v)) => Some(v.clone().unwrap_or_default()),
            None => environ(name),
        };
        out.push_str(&found.unwrap_or_else(|| default.unwrap_or("").to_string()));
        rest = &rest[start + 2 + close + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        (name == "HOME_X").then(|| "/home/x".to_string())
    }

    fn values(text: &str) -> Vec<(String, Option<String>)> {
        parse(text, &env).values
    }

    fn kv(k: &str, v: &str) -> (String, Option<String>) {
        (k.to_string(), Some(v.to_string()))
    }

    #[test]
    fn reads_the_python_dotenv_forms() {
        let text = "# c\nexport E=yes\nP=plain value   # note\nS='single $P \\n'\n\
                    D=\"double ${P} \\t x\"\nI=${P}-x\nF=${NOPE:-dflt}\nEMPTY=\nH=${HOME_X}\n\
                    K= # only comment\nBARE\nP=again\n";
        let got = parse(text, &env).values;
        assert_eq!(
            got,
            vec![
                kv("E", "yes"),
                kv("P", "again"),
                kv("S", "single $P \\n"),
                kv("D", "double plain value \t x"),
                kv("I", "plain value-x"),
                kv("F", "dflt"),
                kv("EMPTY", ""),
                kv("H", "/home/x"),
                kv("K", ""),
                ("BARE".to_string(), None),
            ]
        );
    }

    #[test]
    fn bad_statements_are_skipped_with_their_line() {
        let d = parse("GOOD=1\n\"bad line\nAFTER=2\n", &env);
        assert_eq!(d.values, vec![kv("GOOD", "1"), kv("AFTER", "2")]);
        assert_eq!(d.bad_lines, vec![2]);
        assert_eq!(values("A=#novalue"), vec![kv("A", "#novalue")]);
        assert_eq!(values("'Q K'=1"), vec![kv("Q K", "1")]);
        assert_eq!(values("M=\"a\nb\"\n"), vec![kv("M", "a\nb")]);
        assert_eq!(parse("X='open\n", &env).bad_lines, vec![1]);
    }
}
