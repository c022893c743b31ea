//! SkyPilot's plain tables (`log_utils.create_table`: prettytable without
//! borders, left-aligned, two spaces after each cell) and its time texts.

/// Renders `header` + `rows` as SkyPilot's borderless table: every cell
/// left-aligned and padded to its column's width plus two spaces, the last
/// one too (prettytable's `right_padding_width = 2`); ANSI styles inside a
/// cell take no width.
pub fn render(header: &[&str], rows: &[Vec<String>]) -> String {
    let width = |c: &str| crate::cli::console::strip_ansi(c).chars().count();
    let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(width(cell));
            }
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut s = String::new();
        for (i, c) in cells.enumerate() {
            let w = widths.get(i).copied().unwrap_or(0);
            s.push_str(c);
            s.push_str(&" ".repeat(w.saturating_sub(width(c)) + 2));
        }
        s
    };
    let mut out = line(&mut header.iter().copied());
    for row in rows {
        out.push('\n');
        out.push_str(&line(&mut row.iter().map(String::as_str)));
    }
    out
}

/// A duration split as pendulum's `precise_diff` splits it (months and
/// years approximated as 30 and 365 days: no calendar here).
struct Parts {
    years: i64,
    months: i64,
    weeks: i64,
    days: i64,
    hours: i64,
    minutes: i64,
    seconds: i64,
}

fn parts(secs: i64) -> Parts {
    let total_days = secs / 86400;
    let rest = total_days % 365;
    let in_month = rest % 30;
    Parts {
        years: total_days / 365,
        months: rest / 30,
        weeks: in_month / 7,
        days: in_month % 7,
        hours: secs % 86400 / 3600,
        minutes: secs % 3600 / 60,
        seconds: secs % 60,
    }
}

/// pendulum's `diff_for_humans` unit and count (its rounding rules).
fn human_unit(p: &Parts) -> Option<(&'static str, i64)> {
    let days_in_month = p.weeks * 7 + p.days;
    Some(if p.years > 0 {
        ("year", p.years + i64::from(p.months > 6))
    } else if p.months == 11 && days_in_month > 15 {
        ("year", 1)
    } else if p.months > 0 {
        ("month", p.months + i64::from(days_in_month >= 27))
    } else if p.weeks > 0 {
        ("week", p.weeks + i64::from(p.days > 3))
    } else if p.days > 0 {
        ("day", p.days + i64::from(p.hours >= 22))
    } else if p.hours > 0 {
        ("hr", p.hours)
    } else if p.minutes > 0 {
        ("min", p.minutes)
    } else if p.seconds > 10 {
        ("sec", p.seconds)
    } else {
        return None;
    })
}

/// `log_utils.readable_time_duration(start, None, absolute=False)`:
/// how long ago `start` (epoch seconds) was; `-` when unset.
pub fn ago(start: Option<f64>, now: f64) -> String {
    let Some(start) = start.filter(|s| *s > 0.0) else {
        return "-".into();
    };
    let elapsed = (now - start).max(0.0);
    if elapsed < 1.0 {
        return "< 1 sec".into();
    }
    match human_unit(&parts(elapsed as i64)) {
        Some((unit, n)) => format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" }),
        None => "a few secs ago".into(),
    }
}

/// `readable_time_duration(start, end, absolute=True)`: pendulum's
/// `in_words()` shortened (`1h 2m 23s`, `1w 6d`).
pub fn duration(start: Option<f64>, end: Option<f64>, now: f64) -> String {
    let Some(start) = start.filter(|s| *s > 0.0) else {
        return "-".into();
    };
    let elapsed = (end.unwrap_or(now) - start).max(0.0);
    if elapsed < 1.0 {
        return "< 1s".into();
    }
    let p = parts(elapsed as i64);
    let years = match p.years {
        0 => String::new(),
        1 => "1 year".into(),
        n => format!("{n} years"),
    };
    let units = [
        (p.months, "mo"),
        (p.weeks, "w"),
        (p.days, "d"),
        (p.hours, "h"),
        (p.minutes, "m"),
        (p.seconds, "s"),
    ];
    let rest = units
        .iter()
        .filter(|(v, _)| *v != 0)
        .map(|(v, u)| format!("{v}{u}"));
    std::iter::once(years)
        .filter(|y| !y.is_empty())
        .chain(rest)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Now, in epoch seconds.
pub fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// `json.dumps(value, indent=2)`: two-space indent and non-ASCII
/// characters escaped as `\uXXXX` (Python's `ensure_ascii`).
pub fn json_dumps_indent(value: &serde_json::Value) -> String {
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
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
        assert_eq!(t, "ID  NAME  \n1   a     \n10  -     ");
    }

    #[test]
    fn times_read_as_skypilot_writes_them() {
        assert_eq!(ago(None, 100.0), "-");
        assert_eq!(ago(Some(90.0), 100.0), "a few secs ago");
        assert_eq!(ago(Some(84.0), 100.0), "16 secs ago");
        assert_eq!(ago(Some(1.0), 7300.0), "2 hrs ago");
        assert_eq!(ago(Some(1.0), 61.0), "1 min ago");
        assert_eq!(ago(Some(1.0), 1.0 + 13.0 * 86400.0), "2 weeks ago");
        assert_eq!(ago(Some(1.0), 1.0 + 29.0 * 86400.0), "4 weeks ago");
        assert_eq!(duration(Some(1.0), Some(101.0), 0.0), "1m 40s");
        assert_eq!(duration(Some(1.0), Some(1.0), 0.0), "< 1s");
        assert_eq!(
            duration(Some(1.0), Some(1.0 + 13.0 * 86400.0), 0.0),
            "1w 6d"
        );
    }

    #[test]
    fn json_output_escapes_like_python() {
        let v = serde_json::json!([{"a": "é"}, []]);
        assert_eq!(
            json_dumps_indent(&v),
            "[\n  {\n    \"a\": \"\\u00e9\"\n  },\n  []\n]"
        );
    }
}
