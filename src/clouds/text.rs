//! Text layout SkyPilot's messages use: `prettytable` tables without a
//! border (`log_utils.create_table`) and Python's `textwrap.wrap`.

/// SkyPilot's `log_utils.create_table` as text: no border, left-aligned,
/// two spaces after every cell; multi-line cells span lines.
pub fn plain_table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            let w = cell.lines().map(|l| l.chars().count()).max().unwrap_or(0);
            if i < widths.len() {
                widths[i] = widths[i].max(w);
            }
        }
    }
    let mut lines = Vec::new();
    let render = |cells: Vec<&str>, lines: &mut Vec<String>| {
        let split: Vec<Vec<&str>> = cells
            .iter()
            .map(|c| {
                if c.is_empty() {
                    vec![""]
                } else {
                    c.lines().collect()
                }
            })
            .collect();
        let height = split.iter().map(Vec::len).max().unwrap_or(1);
        for k in 0..height {
            let mut line = String::new();
            for (i, part) in split.iter().enumerate() {
                let text = part.get(k).copied().unwrap_or("");
                let pad = widths[i].saturating_sub(text.chars().count());
                line.push_str(text);
                line.push_str(&" ".repeat(pad + 2));
            }
            lines.push(line);
        }
    };
    render(headers.to_vec(), &mut lines);
    for row in rows {
        render(row.iter().map(String::as_str).collect(), &mut lines);
    }
    lines.join("\n")
}

/// Python's `textwrap.wrap(text, width)` with its defaults: whitespace
/// becomes spaces, words split after hyphens between letters, long words
/// are broken, and lines carry no leading or trailing spaces.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let text: String = text
        .chars()
        .map(|c| {
            if matches!(c, '\t' | '\n' | '\x0b' | '\x0c' | '\r') {
                ' '
            } else {
                c
            }
        })
        .collect();
    let mut chunks: Vec<String> = split_chunks(&text);
    chunks.reverse();
    let mut lines: Vec<String> = Vec::new();
    let is_space = |c: &str| c.trim().is_empty();
    while !chunks.is_empty() {
        let mut line: Vec<String> = Vec::new();
        let mut len = 0;
        if chunks.last().is_some_and(|c| is_space(c)) && !lines.is_empty() {
            chunks.pop();
        }
        while let Some(c) = chunks.last() {
            let l = c.chars().count();
            if len + l <= width {
                len += l;
                line.push(chunks.pop().unwrap_or_default());
            } else {
                break;
            }
        }
        if chunks.last().is_some_and(|c| c.chars().count() > width) {
            let space_left = width.saturating_sub(len).max(1);
            let chunk: Vec<char> = chunks
                .last()
                .map(|c| c.chars().collect())
                .unwrap_or_default();
            let mut end = space_left;
            if chunk.len() > space_left {
                let head: String = chunk[..space_left].iter().collect();
                if let Some(h) = head.rfind('-') {
                    let h = head[..h].chars().count();
                    if h > 0 && chunk[..h].iter().any(|c| *c != '-') {
                        end = h + 1;
                    }
                }
            }
            line.push(chunk[..end].iter().collect());
            if let Some(last) = chunks.last_mut() {
                *last = chunk[end..].iter().collect();
            }
        }
        if line.last().is_some_and(|c| is_space(c)) {
            line.pop();
        }
        if !line.is_empty() {
            lines.push(line.concat());
        }
    }
    lines
}

fn is_letter(c: char) -> bool {
    (c.is_alphanumeric() || c == '_') && !c.is_numeric()
}

/// textwrap's `wordsep_re` chunks: whitespace runs, and words split after
/// a hyphen preceded by two letters (or `x-y-`) and followed by a letter.
fn split_chunks(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let at = |k: usize| chars.get(k).copied();
    let letter = |k: Option<usize>| k.and_then(|k| chars.get(k).copied()).is_some_and(is_letter);
    let splits_after = |p: usize| {
        let behind = (letter(p.checked_sub(1)) && letter(p.checked_sub(2)))
            || (letter(p.checked_sub(1))
                && p.checked_sub(2).and_then(|k| chars.get(k)) == Some(&'-')
                && letter(p.checked_sub(3)));
        let ahead = letter(Some(p + 1))
            && (letter(Some(p + 2)) || (at(p + 2) == Some('-') && letter(Some(p + 3))));
        behind && ahead
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let start = i;
        let space = chars[i] == ' ';
        while i < chars.len() && (chars[i] == ' ') == space {
            let p = i;
            i += 1;
            if !space && chars[p] == '-' && p > start && splits_after(p) {
                break;
            }
        }
        out.push(chars[start..i].iter().collect());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_match_prettytable() {
        let t = plain_table(
            &["Feature", "Reason"],
            &[
                vec!["spot_instance".into(), "Spot is not supported.".into()],
                vec!["stop".into(), "x".into()],
            ],
        );
        assert_eq!(
            t,
            "Feature        Reason                  \nspot_instance  Spot is not supported.  \nstop           x                       "
        );
        let t = plain_table(
            &["Cloud", "Hint"],
            &[
                vec!["-----".into(), "----".into()],
                vec!["AWS".into(), "line1\nline2".into()],
            ],
        );
        assert_eq!(
            t,
            "Cloud  Hint   \n-----  ----   \nAWS    line1  \n       line2  "
        );
    }

    #[test]
    fn wraps_like_textwrap() {
        let s = "Invalid region 'us-east-9'\nDid you mean one of these: 'ap-east-1, us-east-1, us-east-2, us-west-1, us-west-2'?";
        assert_eq!(
            wrap(s, 80),
            [
                "Invalid region 'us-east-9' Did you mean one of these: 'ap-east-1, us-east-1, us-",
                "east-2, us-west-1, us-west-2'?"
            ]
        );
        let s = "Invalid region 'xx'\nList of supported lambda regions: 'asia-northeast-1, asia-northeast-2, asia-south-1, europe-central-1, europe-south-1'";
        assert_eq!(
            wrap(s, 80),
            [
                "Invalid region 'xx' List of supported lambda regions: 'asia-northeast-1, asia-",
                "northeast-2, asia-south-1, europe-central-1, europe-south-1'"
            ]
        );
    }
}
