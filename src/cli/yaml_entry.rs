//! An ENTRYPOINT that names a YAML file: SkyPilot's "is it a YAML file?"
//! check (`_check_yaml_only`) and the loading `sky launch`/`sky exec` do
//! (`dag_utils.load_chain_dag_from_yaml` for one file), with the errors
//! SkyPilot raises on the way.

use crate::error::{Error, ErrorKind, Result};
use crate::spec::Task;
use crate::yaml::{self, Map, Value, YamlError, py_str_repr};

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

/// The tasks of a YAML entrypoint, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedYaml {
    /// The pipeline's name (a header document's, or the one task's).
    pub name: Option<String>,
    /// One task per task document.
    pub tasks: Vec<Task>,
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

/// `dag_utils.is_job_group_yaml(path)`: two or more documents and a first
/// one with `execution: parallel`.
pub fn is_job_group_yaml(path: &str) -> Result<bool> {
    let Ok(docs) = read_docs(path)? else {
        return Ok(false);
    };
    Ok(docs.len() >= 2
        && docs[0]
            .as_map()
            .and_then(|h| h.get("execution"))
            .is_some_and(|e| e.as_str() == Some("parallel")))
}

/// `dag_utils.load_chain_dag_from_yaml(path, env, secrets)` as plain tasks.
pub fn load_chain(
    path: &str,
    env: &[(String, Option<String>)],
    secrets: &[(String, Option<String>)],
) -> Result<LoadedYaml> {
    let text = crate::spec::task::read_text(path)?;
    let configs = match yaml::load_all(&text) {
        Ok(docs) if docs.is_empty() => vec![Value::Map(Map::new())],
        Ok(docs) => docs,
        Err(e) => return Err(e.into()),
    };
    if !configs.iter().any(Value::truthy) {
        return Err(Error::value(format!(
            "{} is empty or contains no task definition. Add at least a `run:` (or `setup:`) field.",
            py_str_repr(path)
        )));
    }
    let single = configs.len() == 1;
    let total = configs.len();
    let (name, configs) = split_header(configs)?;
    // Documents dropped as a header still count when finding a task's text.
    let skipped = total.saturating_sub(configs.len());
    let mut tasks = Vec::new();
    for config in configs.into_iter().filter(|c| !c.is_null()) {
        let Value::Map(mut map) = config else {
            return Err(Error::type_error(
                "list indices must be integers or slices, not str",
            ));
        };
        if !map.contains("_user_specified_yaml") {
            // SkyPilot keeps a dump of the document; its own text is the
            // closest stix has (the same data when read back).
            let own = if single {
                text.clone()
            } else {
                document_text(&text, tasks.len() + skipped)
            };
            map.insert("_user_specified_yaml", own);
        }
        tasks.push(Task::from_yaml_config(map, env, secrets)?);
    }
    if let Some(commit) = git_commit_of(path) {
        for t in &mut tasks {
            if !t.metadata.contains("git_commit") {
                t.metadata.insert("git_commit", commit.as_str());
            }
        }
    }
    Ok(LoadedYaml { name, tasks })
}

/// `_load_chain_dag`'s header rule: a first document with only `name`
/// (and `execution: serial`) names the pipeline.
fn split_header(mut configs: Vec<Value>) -> Result<(Option<String>, Vec<Value>)> {
    let header = configs.first().and_then(Value::as_map).cloned();
    let is_header = header.as_ref().is_some_and(|h| {
        let keys: Vec<&str> = h.keys().filter_map(Value::as_str).collect();
        (keys.len() == 1 && keys[0] == "name")
            || (keys.len() == 2 && keys.contains(&"name") && keys.contains(&"execution"))
    });
    if let (true, Some(h)) = (is_header, header.as_ref()) {
        if let Some(e) = h.get("execution").filter(|e| e.as_str() != Some("serial")) {
            return Err(Error::value(format!(
                "Invalid execution mode for pipeline: {}. Pipelines must use execution: serial (or omit it). \
                 Use execution: parallel for job groups.",
                e.py_repr()
            )));
        }
        let name = h.get("name").filter(|n| !n.is_null()).map(Value::py_str);
        configs.remove(0);
        if configs.is_empty() {
            let mut only = Map::new();
            only.insert("name", Value::from(name.clone()));
            configs.push(Value::Map(only));
        }
        return Ok((name, configs));
    }
    let name = match (configs.len(), header) {
        (1, Some(h)) => h.get("name").filter(|n| !n.is_null()).map(Value::py_str),
        _ => None,
    };
    Ok((name, configs))
}

/// The text of the `index`-th non-empty document of a YAML stream.
fn document_text(text: &str, index: usize) -> String {
    let mut docs: Vec<String> = vec![String::new()];
    for line in text.split_inclusive('\n') {
        if line.trim_end() == "---" || line.starts_with("--- ") {
            docs.push(String::new());
        } else if let Some(last) = docs.last_mut() {
            last.push_str(line);
        }
    }
    docs.retain(|d| {
        d.lines()
            .any(|l| !l.trim().is_empty() && !l.starts_with('#'))
    });
    docs.get(index).cloned().unwrap_or_default()
}

/// `common_utils.get_git_commit(dirname(realpath(path)))`.
fn git_commit_of(path: &str) -> Option<String> {
    let real = std::fs::canonicalize(crate::spec::task::expand_user(path)).ok()?;
    let dir = real.parent()?;
    let out = std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(dir)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
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

    #[test]
    fn document_texts_split_on_markers() {
        let text = "name: p\n---\nrun: a\n--- \nrun: b\n";
        assert_eq!(document_text(text, 1), "run: a\n");
        assert_eq!(document_text(text, 2), "run: b\n");
    }

    #[test]
    fn header_rules() {
        let mut h = Map::new();
        h.insert("name", "p");
        let (name, rest) = split_header(vec![Value::Map(h.clone())]).unwrap();
        assert_eq!(name.as_deref(), Some("p"));
        assert_eq!(rest.len(), 1);
        h.insert("execution", "parallel");
        let err = split_header(vec![Value::Map(h)]).unwrap_err();
        assert!(
            err.message
                .starts_with("Invalid execution mode for pipeline: 'parallel'.")
        );
    }
}
