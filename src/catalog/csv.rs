//! A small RFC 4180 CSV reader (quoted fields, doubled quotes, CRLF) that
//! streams records, slicing unquoted fields straight out of the text, read
//! by header name the way `pandas.read_csv` reads SkyPilot's catalogs.

use std::borrow::Cow;

/// Calls `on_record` with the fields of every non-blank record, the header
/// first. Unquoted fields borrow the text; quoted ones are unescaped.
pub fn for_each_record(text: &str, mut on_record: impl FnMut(&[Cow<'_, str>])) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let bytes = text.as_bytes();
    let mut fields: Vec<Cow<'_, str>> = Vec::with_capacity(32);
    let mut i = 0;
    while i < bytes.len() {
        // A blank line (pandas' skip_blank_lines) carries no record.
        if bytes[i] == b'\n' || bytes[i] == b'\r' {
            i += 1;
            continue;
        }
        fields.clear();
        loop {
            let (field, next) = read_field(text, i);
            fields.push(field);
            i = next;
            match bytes.get(i) {
                Some(b',') => i += 1,
                Some(b'\r') => {
                    i += 1;
                    if bytes.get(i) == Some(&b'\n') {
                        i += 1;
                    }
                    break;
                }
                Some(b'\n') => {
                    i += 1;
                    break;
                }
                _ => break,
            }
        }
        on_record(&fields);
    }
}

/// Reads one field starting at `start`; returns it and the index of the
/// byte after it (a separator, a line end, or the end of the text).
fn read_field(text: &str, start: usize) -> (Cow<'_, str>, usize) {
    let bytes = text.as_bytes();
    if bytes.get(start) != Some(&b'"') {
        let end = bytes[start..]
            .iter()
            .position(|&b| matches!(b, b',' | b'\n' | b'\r'))
            .map_or(bytes.len(), |p| start + p);
        return (Cow::Borrowed(text.get(start..end).unwrap_or("")), end);
    }
    // Quoted: unescape doubled quotes; text after the closing quote (not
    // valid CSV) is kept, as pandas keeps it.
    let mut out = String::new();
    let mut i = start + 1;
    let mut seg = i;
    while i < bytes.len() {
        if bytes[i] == b'"' {
            out.push_str(text.get(seg..i).unwrap_or(""));
            if bytes.get(i + 1) == Some(&b'"') {
                out.push('"');
                i += 2;
                seg = i;
                continue;
            }
            i += 1;
            let end = bytes[i..]
                .iter()
                .position(|&b| matches!(b, b',' | b'\n' | b'\r'))
                .map_or(bytes.len(), |p| i + p);
            out.push_str(text.get(i..end).unwrap_or(""));
            return (Cow::Owned(out), end);
        }
        i += 1;
    }
    out.push_str(text.get(seg..).unwrap_or(""));
    (Cow::Owned(out), bytes.len())
}

/// pandas' default `na_values`: these field texts read as missing (NaN).
pub fn is_na(field: &str) -> bool {
    matches!(
        field,
        "" | "#N/A"
            | "#N/A N/A"
            | "#NA"
            | "-1.#IND"
            | "-1.#QNAN"
            | "-NaN"
            | "-nan"
            | "1.#IND"
            | "1.#QNAN"
            | "<NA>"
            | "N/A"
            | "NA"
            | "NULL"
            | "NaN"
            | "None"
            | "n/a"
            | "nan"
            | "null"
    )
}

/// A whole CSV file as owned strings (for the small files: images,
/// accelerators, metadata).
#[derive(Debug, Clone, Default)]
pub struct Csv {
    /// Column names in file order.
    pub header: Vec<String>,
    /// Records, each padded or cut to the header's width.
    pub records: Vec<Vec<String>>,
}

impl Csv {
    /// Parses `text`.
    pub fn parse(text: &str) -> Csv {
        let mut csv = Csv::default();
        for_each_record(text, |fields| {
            if csv.header.is_empty() {
                csv.header = fields.iter().map(|f| f.to_string()).collect();
            } else {
                let mut r: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
                r.resize(csv.header.len(), String::new());
                csv.records.push(r);
            }
        });
        csv
    }

    /// The index of column `name`, if the file has it.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// The field of `record` in column `name`, `None` when missing or NA.
    pub fn get<'a>(&self, record: &'a [String], name: &str) -> Option<&'a str> {
        let i = self.column(name)?;
        record.get(i).map(String::as_str).filter(|f| !is_na(f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_fields_and_header() {
        let text = "A,B,C\r\nx,\"a, \"\"b\"\"\",1.5\n\ny,,\n";
        let csv = Csv::parse(text);
        assert_eq!(csv.header, ["A", "B", "C"]);
        assert_eq!(csv.records.len(), 2);
        assert_eq!(csv.records[0], ["x", "a, \"b\"", "1.5"]);
        assert_eq!(csv.records[1], ["y", "", ""]);
        assert_eq!(csv.column("C"), Some(2));
        assert_eq!(csv.get(&csv.records[1], "B"), None);
        assert_eq!(csv.get(&csv.records[0], "C"), Some("1.5"));
    }

    #[test]
    fn short_rows_are_padded_and_na_spellings() {
        let csv = Csv::parse("A,B\nx");
        assert_eq!(csv.records[0], ["x", ""]);
        let csv = Csv::parse("A,B\n\"q\"x,\"unterminated");
        assert_eq!(csv.records[0], ["qx", "unterminated"]);
        assert!(is_na("") && is_na("NaN") && is_na("None"));
        assert!(!is_na("0") && !is_na("none"));
        assert!(Csv::parse("").header.is_empty());
    }
}
