//! Value parsers shared by resources: memory sizes, times, ports, local disk
//! (SkyPilot's `resources_utils`), with its error wording.

use crate::error::{Error, Result};
use crate::yaml::{
    Value, is_ascii_digits, py_float_repr, py_parse_float, py_parse_int, py_str_repr,
};

const MEMORY_UNITS: &[(&str, f64)] = &[
    ("kb", 1024.0),
    ("ki", 1024.0),
    ("mb", 1048576.0),
    ("mi", 1048576.0),
    ("gb", 1073741824.0),
    ("gi", 1073741824.0),
    ("tb", 1099511627776.0),
    ("ti", 1099511627776.0),
    ("pb", 1125899906842624.0),
    ("pi", 1125899906842624.0),
];

/// Whether sizes parse as Python `int` or `float`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum NumKind {
    /// `ret_type=int`.
    Int,
    /// `ret_type=float`.
    Float,
}

/// `resources_utils.parse_memory_resource` (unit `gb`, no rounding).
pub fn parse_memory_resource(
    raw: &Value,
    field: &str,
    kind: NumKind,
    allow_plus: bool,
    allow_x: bool,
) -> Result<String> {
    let plus_hint = if allow_plus {
        " or \"<number>+\" for \"at least\""
    } else {
        ""
    };
    let err = || {
        Error::value(format!(
            "\"{field}\" field should be a number (e.g. \"16\") or \"<number><unit>\" where unit is one of \
             KB/MB/GB/TB/PB (e.g. \"16GB\"){plus_hint}. Got: {}",
            raw.py_repr()
        ))
    };
    let mut s = raw.py_str();
    let mut plus = "";
    if let Some(rest) = s.strip_suffix('+') {
        if !allow_plus {
            return Err(err());
        }
        s = rest.to_string();
        plus = "+";
    }
    let mut x = "";
    if let Some(rest) = s.strip_suffix('x') {
        if !allow_x {
            return Err(err());
        }
        s = rest.to_string();
        x = "x";
    }
    let parses = match kind {
        NumKind::Int => py_parse_int(&s).is_some(),
        NumKind::Float => py_parse_float(&s).is_some(),
    };
    if parses {
        return Ok(format!("{s}{plus}{x}"));
    }
    let lower = s.to_lowercase();
    for (unit, mult) in MEMORY_UNITS {
        let Some(num) = lower.strip_suffix(unit) else {
            continue;
        };
        let converted = match kind {
            NumKind::Int => match py_parse_int(num) {
                Some(v) => {
                    let c = v as f64 * mult / 1073741824.0;
                    if c.fract() != 0.0 {
                        return Err(err());
                    }
                    format!("{}", c as i64)
                }
                None => continue,
            },
            NumKind::Float => match py_parse_float(num) {
                Some(v) => py_float_repr(v * mult / 1073741824.0),
                None => continue,
            },
        };
        return Ok(format!("{converted}{plus}{x}"));
    }
    Err(err())
}

/// `resources_utils.parse_time_minutes`.
pub fn parse_time_minutes(raw: &str) -> Result<i64> {
    parse_time_with_units(
        raw,
        &[("m", 1.0), ("h", 60.0), ("d", 1440.0), ("w", 10080.0)],
    )
}

/// `resources_utils.parse_time_seconds` (job group termination delays).
pub fn parse_time_seconds(raw: &str) -> Result<i64> {
    parse_time_with_units(
        raw,
        &[
            ("s", 1.0),
            ("m", 60.0),
            ("h", 3600.0),
            ("d", 86400.0),
            ("w", 604800.0),
        ],
    )
}

/// `resources_utils._parse_time_with_units`: a bare integer, or a number
/// with the first matching unit suffix, rounded up.
fn parse_time_with_units(raw: &str, units: &[(&str, f64)]) -> Result<i64> {
    if is_ascii_digits(raw) {
        return raw
            .parse::<i64>()
            .map_err(|_| Error::value(format!("Invalid time format: {raw}")));
    }
    let lower = raw.to_lowercase();
    for (unit, mult) in units {
        let value = lower
            .strip_suffix(unit)
            .and_then(py_parse_float)
            .map(|v| (v * mult).ceil());
        if let Some(value) = value.filter(|v| *v >= 0.0) {
            return Ok(value as i64);
        }
    }
    Err(Error::value(format!("Invalid time format: {raw}")))
}

fn port_hint(p: &str) -> Error {
    Error::value(format!(
        "Invalid port {p}. Please use a port number between 1 and 65535."
    ))
}

fn check_port(p: &str) -> Result<u32> {
    if !is_ascii_digits(p) {
        return Err(port_hint(p));
    }
    match p.parse::<u32>() {
        Ok(n) if (1..=65535).contains(&n) => Ok(n),
        _ => Err(port_hint(p)),
    }
}

/// Flattens port values (ints, `'8080'`, `'8000-8010'`, `'80,443'`, lists)
/// into SkyPilot's simplified ranges; `None` when empty.
pub fn normalize_ports(raw: &Value) -> Result<Option<Vec<String>>> {
    let items: Vec<Value> = match raw {
        Value::Seq(v) => v.clone(),
        other => vec![other.clone()],
    };
    let mut set = std::collections::BTreeSet::new();
    for item in items {
        for token in item.py_str().split(',') {
            let token = token.trim();
            if token.is_empty() {
                continue;
            }
            if is_ascii_digits(token) {
                set.insert(check_port(token)?);
                continue;
            }
            let range_err = || {
                Error::value(format!(
                    "Invalid port range {token}. Please use the format \"from-to\", in which from <= to. e.g. \"1-3\"."
                ))
            };
            let parts: Vec<&str> = token.split('-').collect();
            if parts.len() != 2 {
                return Err(range_err());
            }
            let (a, b) = (check_port(parts[0])?, check_port(parts[1])?);
            if a > b {
                return Err(range_err());
            }
            set.extend(a..=b);
        }
    }
    let mut out: Vec<String> = Vec::new();
    let ports: Vec<u32> = set.into_iter().collect();
    let mut i = 0;
    while i < ports.len() {
        let mut j = i;
        while j + 1 < ports.len() && ports[j + 1] == ports[j] + 1 {
            j += 1;
        }
        out.push(if i == j {
            ports[i].to_string()
        } else {
            format!("{}-{}", ports[i], ports[j])
        });
        i = j + 1;
    }
    Ok((!out.is_empty()).then_some(out))
}

/// `resources_utils.normalize_local_disk` -> `mode:size[+]`.
pub fn normalize_local_disk(raw: &str) -> Result<String> {
    let local = raw.to_lowercase().trim().to_string();
    let parts: Vec<&str> = local.split(':').collect();
    let check = |size: &str| -> Result<()> {
        match py_parse_float(size.trim_end_matches('+')) {
            Some(v) if v > 0.0 => Ok(()),
            _ => Err(Error::value(format!(
                "Invalid local_disk: {}. Expected \"mode:size[+]\", \"mode\", or \"size[+]\". Mode must be \"nvme\" or \"ssd\", size must be positive (GB), optionally with \"+\".",
                py_str_repr(&local)
            ))),
        }
    };
    let (mode, size) = match parts.as_slice() {
        [p] if *p == "nvme" || *p == "ssd" => (p.to_string(), "100+".to_string()),
        [p] => {
            check(p)?;
            ("nvme".to_string(), p.to_string())
        }
        [m, s] => {
            if *m != "nvme" && *m != "ssd" {
                return Err(Error::value(format!(
                    "Invalid local_disk mode: {}. Must be \"nvme\" or \"ssd\".",
                    py_str_repr(m)
                )));
            }
            check(s)?;
            (m.to_string(), s.to_string())
        }
        _ => {
            return Err(Error::value(format!(
                "Invalid local_disk format: {}. Expected \"mode:size[+]\", \"mode\", or \"size[+]\". Examples: \"nvme:1000+\", \"ssd:500\", \"nvme\", \"1000+\".",
                py_str_repr(&local)
            )));
        }
    };
    Ok(format!("{mode}:{size}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_forms() {
        let f = |v: Value| parse_memory_resource(&v, "memory", NumKind::Float, true, true).unwrap();
        assert_eq!(f(Value::from("32")), "32");
        assert_eq!(f(Value::from("32+")), "32+");
        assert_eq!(f(Value::from("32GB")), "32.0");
        assert_eq!(f(Value::from("1TB+")), "1024.0+");
        assert_eq!(f(Value::from("512MB")), "0.5");
        let d = |v: Value| parse_memory_resource(&v, "disk_size", NumKind::Int, false, false);
        assert_eq!(d(Value::from("1TB")).unwrap(), "1024");
        assert!(d(Value::from("100MB")).is_err());
    }

    #[test]
    fn ports_simplify() {
        let v = Value::Seq(vec![
            Value::Int(8080),
            Value::from("8081"),
            Value::from("9000-9002,22"),
        ]);
        assert_eq!(
            normalize_ports(&v).unwrap().unwrap(),
            ["22", "8080-8081", "9000-9002"]
        );
        assert!(normalize_ports(&Value::from("0")).is_err());
        assert!(normalize_ports(&Value::from("9-8")).is_err());
    }

    #[test]
    fn times_and_disks() {
        assert_eq!(parse_time_minutes("10").unwrap(), 10);
        assert_eq!(parse_time_minutes("2h").unwrap(), 120);
        assert_eq!(parse_time_minutes("1D").unwrap(), 1440);
        assert_eq!(normalize_local_disk("nvme").unwrap(), "nvme:100+");
        assert_eq!(normalize_local_disk("1000+").unwrap(), "nvme:1000+");
        assert!(normalize_local_disk("hdd:5").is_err());
    }
}
