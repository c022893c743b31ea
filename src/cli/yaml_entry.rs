//! An ENTRYPOINT that names a YAML file: SkyPilot's "is it a YAML file?"
//! check (`_check_yaml_only`) and the loading `sky launch`/`sky exec` do
//! (`dag_utils.load_chain_dag_from_yaml` for one file), with the errors
//! SkyPilot raises on the way.

use crate::error::{Error, ErrorKind, Result};
use crate::yaml::{self, Map, Value, YamlError};

/// `shlex.split(s)` (POSIX mode, no comments).
pub fn shlex_split(s: &str) -> Result<Vec<String>> {
    let mut tokens = Vec::new();
    let mut cur = String::new();
    let mut in_token = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\r' | '\n' => {
                if in_token {
                    tokens.push(std::mem::take(&mut cur));
                    in_token = false;
                }
            }
            '\\' => {
                let next = chars
                    .next()
                    .ok_or_else(|| Error::value("No escaped character"))?;
                cur.push(next);
                in_token = true;
            }
            '\'' | '"' => {
                in_token = true;
                loop {
                    let n = chars
                        .next()
                        .ok_or_else(|| Error::value("No closing quotation"))?;
                    if n == c {
                        break;
                    }
                    // In double quotes a backslash escapes only `"` and `\`.
                    if c == '"' && n == '\\' {
                        let esc = chars
                            .next()
                            .ok_or_else(|| Error::value("No closing quotation"))?;
                        if esc != '"' && esc != '\\' {
                            cur.push('\\');
                        }
                        cur.push(esc);
                    } else {
                        cur.push(n);
                    }
                }
            }
            other => {
                cur.push(other);
                in_token = true;
            }
        }
    }
    if in_token {
        tokens.push(cur);
    }
    Ok(tokens)
}

/// What `_check_yaml_only` found out about an entrypoint.
#[derive(Debug, Clone, PartialEq)]
pub struct YamlCheck {
    /// Whether the entrypoint is read as a YAML task file.
    pub is_yaml: bool,
    /// One word ending in `yaml` or `.yml` (the user meant a file).
    pub looks_like_yaml: bool,
    /// Why a YAML-looking entrypoint is not one (for the prompt).
    pub invalid_reason: String,
}

/// `_check_yaml_only(entrypoint)`.
pub fn check_yaml_only(entrypoint: &str) -> Result<YamlCheck> {
    let words = shlex_split(entrypoint)?;
    let looks_like_yaml =
        words.len() == 1 && (words[0].ends_with("yaml") || words[0].ends_with(".yml"));
    let mut check = YamlCheck {
        is_yaml: true,
        looks_like_yaml,
        invalid_reason: String::new(),
    };
    // SkyPilot opens the joined words as given (no `~` expansion).
    let bytes = std::fs::metadata(entrypoint)
        .ok()
        .filter(|m| !m.is_dir())
        .and_then(|_| std::fs::read(entrypoint).ok());
    let Some(bytes) = bytes else {
        check.is_yaml = false;
        if looks_like_yaml {
            let expanded = crate::spec::task::expand_user(entrypoint);
            let path = std::path::Path::new(&expanded);
            check.invalid_reason = if !path.exists() {
                "does not exist. Please check if the path is correct."
            } else if !path.is_file() {
                "is not a file. Please check if the path is correct."
            } else {
                "yaml.safe_load() failed. Please check if the path is correct."
            }
            .to_string();
        }
        return Ok(check);
    };
    let Ok(text) = String::from_utf8(bytes) else {
        check.is_yaml = false;
        if looks_like_yaml {
            check.invalid_reason =
                "is not a valid UTF-8 text file and cannot be parsed as YAML.".to_string();
        }
        return Ok(check);
    };
    match yaml::load_all(&text) {
        // A plain scalar is a script (`sky exec c ./run.sh`), not a task.
        Ok(docs) => check.is_yaml = !matches!(docs.first(), Some(Value::Str(_))),
        // PyYAML keeps the last of duplicate keys; SkyPilot rejects them later.
        Err(YamlError::DuplicateKey { .. }) => {}
        Err(e) => {
            check.is_yaml = false;
            if looks_like_yaml {
                check.invalid_reason = format!(
                    "contains an invalid configuration. Please check syntax.\n\nYAML Error: {e}\n"
                );
            }
        }
    }
    Ok(check)
}

/// Reads every document of `path`; duplicate keys are reported by the
/// caller at the point SkyPilot checks them.
fn read_docs(path: &str) -> Result<std::result::Result<Vec<Value>, YamlError>> {
    let text = crate::spec::task::read_text(path)?;
    Ok(yaml::load_all(&text).map(|docs| {
        if docs.is_empty() {
            vec![Value::Map(Map::new())]
        } else {
            docs
        }
    }))
}

/// SkyPilot records the YAML in its usage log first, which fails on
/// documents that are not mappings; reproduce those failures.
pub fn check_usage_log_docs(path: &str) -> Result<()> {
    let Ok(docs) = read_docs(path)? else {
        return Ok(());
    };
    for doc in &docs {
        match doc {
            Value::Null | Value::Map(_) => {}
            Value::Seq(_) => {
                return Err(Error::type_error(
                    "list indices must be integers or slices, not str",
                ));
            }
            other => {
                return Err(Error::new(
                    ErrorKind::Attribute,
                    format!("'{}' object has no attribute 'copy'", other.py_type_name()),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shlex_matches_python() {
        assert_eq!(
            shlex_split("a 'b c' \"d\\\"e\" f\\ g").unwrap(),
            ["a", "b c", "d\"e", "f g"]
        );
        assert_eq!(shlex_split("x\"y\\z\"").unwrap(), ["xy\\z"]);
        assert_eq!(shlex_split("''").unwrap(), [""]);
        assert_eq!(
            shlex_split("echo it's").unwrap_err().message,
            "No closing quotation"
        );
        assert_eq!(
            shlex_split("a\\").unwrap_err().message,
            "No escaped character"
        );
    }
}
