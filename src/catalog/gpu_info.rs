//! `GpuInfo` cells: a Python literal (`{'Gpus': [{'Name': 'A100', ...,
//! 'MemoryInfo': {'SizeInMiB': 40960}}], ...}`) evaluated like
//! `ast.literal_eval`, and the device memory `list_accelerators` derives.

use crate::yaml::{Map, Value};

/// What `GpuInfo -> Gpus[0].MemoryInfo.SizeInMiB / 1024` gives for a row.
/// pandas applies it to a whole column, so one failing row decides for all.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DeviceMemory {
    /// The device memory in GiB.
    GiB(f64),
    /// `ast.literal_eval` failed (also for a missing cell): SkyPilot then
    /// shows no device memory for every row.
    ValueError,
    /// A key was missing (`KeyError: 'MemoryInfo'`), raised to the caller.
    KeyError(MissingKey),
    /// The value had the wrong shape (`TypeError`/`IndexError`).
    TypeError,
}

/// Which key of the `GpuInfo` path was missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingKey {
    /// `'Gpus'`.
    Gpus,
    /// `'MemoryInfo'`.
    MemoryInfo,
    /// `'SizeInMiB'`.
    SizeInMiB,
}

impl MissingKey {
    /// The key as Python prints it in `KeyError`.
    pub fn name(self) -> &'static str {
        match self {
            MissingKey::Gpus => "Gpus",
            MissingKey::MemoryInfo => "MemoryInfo",
            MissingKey::SizeInMiB => "SizeInMiB",
        }
    }
}

/// Derives the device memory of one `GpuInfo` cell (`None` = NaN cell).
pub fn device_memory(cell: Option<&str>) -> DeviceMemory {
    let Some(value) = cell.and_then(literal_eval) else {
        return DeviceMemory::ValueError;
    };
    let Value::Map(top) = &value else {
        return DeviceMemory::TypeError;
    };
    let Some(gpus) = top.get("Gpus") else {
        return DeviceMemory::KeyError(MissingKey::Gpus);
    };
    let Some(Value::Map(first)) = (match gpus {
        Value::Seq(items) => items.first(),
        _ => None,
    }) else {
        return DeviceMemory::TypeError;
    };
    let Some(mem) = first.get("MemoryInfo") else {
        return DeviceMemory::KeyError(MissingKey::MemoryInfo);
    };
    let Value::Map(mem) = mem else {
        return DeviceMemory::TypeError;
    };
    match mem.get("SizeInMiB") {
        None => DeviceMemory::KeyError(MissingKey::SizeInMiB),
        Some(Value::Int(i)) => DeviceMemory::GiB(*i as f64 / 1024.0),
        Some(Value::Float(f)) => DeviceMemory::GiB(f / 1024.0),
        Some(Value::Bool(b)) => DeviceMemory::GiB(f64::from(u8::from(*b)) / 1024.0),
        Some(_) => DeviceMemory::TypeError,
    }
}

/// `ast.literal_eval` for the literals catalogs use: dicts, lists, tuples,
/// strings, numbers, `True`/`False`/`None`. `None` where Python raises.
pub fn literal_eval(text: &str) -> Option<Value> {
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
    };
    p.ws();
    let v = p.value()?;
    p.ws();
    (p.i == p.s.len()).then_some(v)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> Option<Value> {
        self.ws();
        match self.peek()? {
            b'{' => {
                self.i += 1;
                let mut m = Map::new();
                if self.eat(b'}') {
                    return Some(Value::Map(m));
                }
                loop {
                    let k = self.value()?;
                    if !self.eat(b':') {
                        return None;
                    }
                    let v = self.value()?;
                    m.insert(k, v);
                    if self.eat(b',') {
                        if self.eat(b'}') {
                            return Some(Value::Map(m));
                        }
                        continue;
                    }
                    return self.eat(b'}').then_some(Value::Map(m));
                }
            }
            open @ (b'[' | b'(') => {
                self.i += 1;
                let close = if open == b'[' { b']' } else { b')' };
                let mut items = Vec::new();
                if self.eat(close) {
                    return Some(Value::Seq(items));
                }
                loop {
                    items.push(self.value()?);
                    if self.eat(b',') {
                        if self.eat(close) {
                            return Some(Value::Seq(items));
                        }
                        continue;
                    }
                    return self.eat(close).then_some(Value::Seq(items));
                }
            }
            q @ (b'\'' | b'"') => self.string(q),
            b'-' | b'+' | b'0'..=b'9' | b'.' => self.number(),
            _ => self.word(),
        }
    }

    fn string(&mut self, quote: u8) -> Option<Value> {
        self.i += 1;
        let mut out = Vec::new();
        while let Some(c) = self.peek() {
            self.i += 1;
            if c == quote {
                return String::from_utf8(out).ok().map(Value::Str);
            }
            if c == b'\\' {
                let e = self.peek()?;
                self.i += 1;
                out.push(match e {
                    b'n' => b'\n',
                    b't' => b'\t',
                    b'r' => b'\r',
                    other => other,
                });
            } else {
                out.push(c);
            }
        }
        None
    }

    fn number(&mut self) -> Option<Value> {
        let start = self.i;
        while self.i < self.s.len()
            && matches!(
                self.s[self.i],
                b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-' | b'_'
            )
        {
            self.i += 1;
        }
        let text = std::str::from_utf8(&self.s[start..self.i]).ok()?;
        if let Some(i) = crate::yaml::py_parse_int(text) {
            return Some(Value::Int(i));
        }
        crate::yaml::py_parse_float(text)
            .filter(|_| !text.contains("inf") && !text.contains("nan"))
            .map(Value::Float)
    }

    fn word(&mut self) -> Option<Value> {
        let start = self.i;
        while self.i < self.s.len()
            && (self.s[self.i].is_ascii_alphanumeric() || self.s[self.i] == b'_')
        {
            self.i += 1;
        }
        match &self.s[start..self.i] {
            b"True" => Some(Value::Bool(true)),
            b"False" => Some(Value::Bool(false)),
            b"None" => Some(Value::Null),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_and_json_style_cells() {
        let aws = "{'Gpus': [{'Name': 'A100', 'Manufacturer': 'NVIDIA', 'Count': 8.0, \
                   'MemoryInfo': {'SizeInMiB': 40960}}], 'TotalGpuMemoryInMiB': 327680}";
        assert_eq!(device_memory(Some(aws)), DeviceMemory::GiB(40.0));
        let json = r#"{"Gpus":[{"Name":"A100","Count":1,"MemoryInfo":{"SizeInMiB":81920}}]}"#;
        assert_eq!(device_memory(Some(json)), DeviceMemory::GiB(80.0));
    }

    #[test]
    fn failures_match_python() {
        // RunPod's cells are bare names: `ast.literal_eval('A100-80GB')` fails.
        assert_eq!(device_memory(Some("A100-80GB")), DeviceMemory::ValueError);
        assert_eq!(device_memory(None), DeviceMemory::ValueError);
        let no_mem = "{'Gpus': [{'Name': 'A6000', 'Manufacturer': 'NVIDIA', 'Count': 1.0}]}";
        assert_eq!(
            device_memory(Some(no_mem)),
            DeviceMemory::KeyError(MissingKey::MemoryInfo)
        );
        assert_eq!(
            literal_eval("[1, 2,]"),
            Some(Value::Seq(vec![Value::Int(1), Value::Int(2)]))
        );
        assert_eq!(
            literal_eval("{'a': -1.5}").map(|v| v.py_repr()),
            Some("{'a': -1.5}".into())
        );
        assert_eq!(literal_eval("x"), None);
    }
}
