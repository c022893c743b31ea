//! SkyPilot's plain tables (`log_utils.create_table`: prettytable without
//! borders, left-aligned, two spaces after each cell) and its time texts.

/// Renders `header` + `rows` as SkyPilot's borderless table.
pub fn render(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut s = String::new();
        for (i, c) in cells.enumerate() {
            let w = widths.get(i).copied().unwrap_or(0);
            s.push_str(c);
            s.push_str(&" ".repeat(w.saturating_sub(c.chars().count()) + 2));
        }
        s.trim_end().to_string()
    };
    let mut out = line(&mut header.iter().copied());
    for row in rows {
        out.push('\n');
        out.push_str(&line(&mut row.iter().map(String::as_str)));
    }
    out
}

/// `log_utils.readable_time_duration(start, None, absolute=False)`:
/// how long ago `start` (epoch seconds) was; `-` when unset.
pub fn ago(start: Option<f64>, now: f64) -> String {
    let Some(start) = start.filter(|s| *s > 0.0) else {
        return "-".into();
    };
    let secs = (now - start).max(0.0) as i64;
    let (n, unit) = match secs {
        s if s < 60 => return "a few secs ago".into(),
        s if s < 3600 => (s / 60, "min"),
        s if s < 86400 => (s / 3600, "hr"),
        s => (s / 86400, "day"),
    };
    format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" })
}

/// `readable_time_duration(start, end, absolute=True)`: `1m 40s`.
pub fn duration(start: Option<f64>, end: Option<f64>, now: f64) -> String {
    let Some(start) = start.filter(|s| *s > 0.0) else {
        return "-".into();
    };
    let secs = (end.unwrap_or(now) - start).max(0.0) as i64;
    let (d, h, m, s) = (
        secs / 86400,
        secs % 86400 / 3600,
        secs % 3600 / 60,
        secs % 60,
    );
    let parts: Vec<String> = [(d, "d"), (h, "h"), (m, "m"), (s, "s")]
        .iter()
        .skip_while(|(v, _)| *v == 0)
        .map(|(v, u)| format!("{v}{u}"))
        .collect();
    if parts.is_empty() {
        "0s".into()
    } else {
        parts.join(" ")
    }
}

/// Now, in epoch seconds.
pub fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_pad_columns_and_trim_lines() {
        let t = render(
            &["ID", "NAME"],
            &[vec!["1".into(), "a".into()], vec!["10".into(), "-".into()]],
        );
        assert_eq!(t, "ID  NAME\n1   a\n10  -");
    }

    #[test]
    fn times_read_as_skypilot_writes_them() {
        assert_eq!(ago(None, 100.0), "-");
        assert_eq!(ago(Some(90.0), 100.0), "a few secs ago");
        assert_eq!(ago(Some(1.0), 7300.0), "2 hrs ago");
        assert_eq!(duration(Some(1.0), Some(101.0), 0.0), "1m 40s");
        assert_eq!(duration(Some(1.0), Some(1.0), 0.0), "0s");
    }
}
