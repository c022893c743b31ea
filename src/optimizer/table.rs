//! The optimizer's tables: `prettytable` with a frame of dashes above and
//! below the header and at the end, no vertical rules (SkyPilot's
//! `optimizer._create_table`), left-aligned, two spaces after every cell.

/// Display width of `text`: ANSI colour codes take no room (prettytable
/// strips them before measuring).
pub fn display_width(text: &str) -> usize {
    let mut width = 0;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' && chars.peek() == Some(&'[') {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
            continue;
        }
        width += 1;
    }
    width
}

/// A framed table: `-----` rule, header, rule, rows, rule. Vertical rule
/// positions are blanks; a cell with newlines spans several lines.
pub fn framed_table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| display_width(h)).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.split('\n').map(display_width).max().unwrap_or(0));
        }
    }
    let total = 1 + widths.iter().map(|w| w + 3).sum::<usize>();
    let rule = "-".repeat(total);
    let mut out = vec![rule.clone()];
    let push_row = |cells: &[&str], out: &mut Vec<String>| {
        let split: Vec<Vec<&str>> = cells.iter().map(|c| c.split('\n').collect()).collect();
        let height = split.iter().map(Vec::len).max().unwrap_or(1);
        for k in 0..height {
            let mut line = String::from(" ");
            for (part, w) in split.iter().zip(&widths) {
                let text = part.get(k).copied().unwrap_or("");
                line.push_str(text);
                line.push_str(&" ".repeat(w - display_width(text) + 2));
                line.push(' ');
            }
            out.push(line);
        }
    };
    push_row(headers, &mut out);
    out.push(rule.clone());
    for row in rows {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        push_row(&cells, &mut out);
    }
    out.push(rule);
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framed_like_prettytable() {
        let t = framed_table(
            &["AB", "C"],
            &[
                vec!["x".into(), "\x1b[32m   ✔\x1b[0m".into()],
                vec!["longer".into(), "y".into()],
            ],
        );
        assert_eq!(
            t,
            "-----------------\n AB       C      \n-----------------\n x        \x1b[32m   ✔\x1b[0m   \n longer   y      \n-----------------"
        );
        assert_eq!(
            framed_table(&["AB", "C"], &[]),
            "----------\n AB   C   \n----------\n----------"
        );
    }
}
