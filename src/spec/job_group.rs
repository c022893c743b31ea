//! Job group YAML (`execution: parallel`): a header document, then one
//! named job per document, loaded with SkyPilot 0.14.1's
//! `dag_utils._load_job_group` rules and messages.

use crate::error::{Error, Result};
use crate::spec::dag::{
    DagSpec, Execution, Notice, TerminationDelay, not_a_mapping, read_yaml_all, read_yaml_all_str,
};
use crate::spec::task::Task;
use crate::yaml::{Map, Value, py_str_repr};

/// Header fields a job group understands; others are ignored with a warning.
const HEADER_FIELDS: [&str; 5] = [
    "name",
    "execution",
    "primary_tasks",
    "termination_delay",
    "inter_connection",
];

/// `dag_utils.load_job_group_from_yaml_str`.
pub fn load_job_group_yaml_str(
    text: &str,
    env_overrides: &[(String, String)],
    secrets_overrides: &[(String, String)],
    log: &mut Vec<Notice>,
) -> Result<DagSpec> {
    let configs = read_yaml_all_str(text, false)?;
    load_job_group(configs, env_overrides, secrets_overrides, log)
}

/// `dag_utils.load_job_group_from_yaml` (the path is opened as given).
pub fn load_job_group_yaml(
    path: &str,
    env_overrides: &[(String, String)],
    secrets_overrides: &[(String, String)],
    log: &mut Vec<Notice>,
) -> Result<DagSpec> {
    load_job_group(read_yaml_all(path)?, env_overrides, secrets_overrides, log)
}

/// Python's `repr(set_of_keys)` (document order; a set has none to match).
fn set_repr<'a>(keys: impl Iterator<Item = &'a Value>) -> String {
    let parts: Vec<String> = keys.map(Value::py_repr).collect();
    format!("{{{}}}", parts.join(", "))
}

fn sorted_repr(names: &[String]) -> String {
    let mut sorted: Vec<&String> = names.iter().collect();
    sorted.sort();
    let parts: Vec<String> = sorted.iter().map(|n| py_str_repr(n)).collect();
    format!("[{}]", parts.join(", "))
}

/// `all(c.isalnum() or c in '-_' for c in name)`, including what Python
/// does when `name` is not a string.
fn name_chars_ok(name: &Value) -> Result<bool> {
    let ok_str = |s: &str, whole_item: bool| {
        if whole_item {
            // An item of a list: `item.isalnum() or item in '-_'`.
            (!s.is_empty() && s.chars().all(char::is_alphanumeric)) || "-_".contains(s)
        } else {
            s.chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        }
    };
    let items: Vec<&Value> = match name {
        Value::Str(s) => return Ok(ok_str(s, false)),
        Value::Seq(items) => items.iter().collect(),
        Value::Map(m) => m.keys().collect(),
        other => {
            return Err(Error::type_error(format!(
                "'{}' object is not iterable",
                other.py_type_name()
            )));
        }
    };
    for item in items {
        match item {
            Value::Str(s) if ok_str(s, true) => {}
            Value::Str(_) => return Ok(false),
            other => {
                return Err(Error::value(format!(
                    "Invalid name {}: its items must be strings, got {}.",
                    name.py_repr(),
                    other.py_type_name()
                )));
            }
        }
    }
    Ok(true)
}

fn name_error(kind: &str, name: &Value) -> Error {
    Error::value(format!(
        "Invalid {kind} name: {}. Name must contain only alphanumeric characters, hyphens, and underscores.",
        name.py_repr()
    ))
}

/// `dag_utils._validate_time_duration` (`constants.TIME_PATTERN_SECONDS`).
fn validate_duration(duration: &str, field: &str) -> Result<()> {
    // `re.match('^[0-9]+(s|m|...)?$')`: `$` also matches before a final newline.
    let body = duration.strip_suffix('\n').unwrap_or(duration);
    let digits = body.trim_end_matches(|c: char| "smhdwSMHDW".contains(c));
    let unit_len = body.len() - digits.len();
    if unit_len <= 1 && !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(());
    }
    Err(Error::value(format!(
        "Invalid time duration for {field}: {}. Expected format: NUMBER[s|m|h|d|w] (e.g., \"30s\", \"5m\", \"1h\")",
        py_str_repr(duration)
    )))
}

fn is_str_or_int(v: &Value) -> bool {
    matches!(v, Value::Str(_) | Value::Int(_) | Value::Bool(_))
}

fn termination_delay(v: &Value, job_names: &[String]) -> Result<TerminationDelay> {
    match v {
        v if is_str_or_int(v) => {
            let s = v.py_str();
            validate_duration(&s, "termination_delay")?;
            Ok(TerminationDelay::All(s))
        }
        Value::Map(m) => {
            let mut pairs = Vec::new();
            for (k, val) in m.iter() {
                let key = match k {
                    Value::Str(key) if is_str_or_int(val) => key,
                    _ => {
                        return Err(Error::value(format!(
                            "termination_delay dict must have string keys and string/int values, got {}: {}",
                            k.py_repr(),
                            val.py_repr()
                        )));
                    }
                };
                if key != "default" && !job_names.contains(key) {
                    return Err(Error::value(format!(
                        "termination_delay references unknown job: {key}. Available jobs: {} (or \"default\")",
                        sorted_repr(job_names)
                    )));
                }
                let s = val.py_str();
                validate_duration(&s, &format!("termination_delay[{}]", py_str_repr(key)))?;
                pairs.push((key.clone(), s));
            }
            Ok(TerminationDelay::PerTask(pairs))
        }
        other => Err(Error::value(format!(
            "termination_delay must be a string, int, or dict, got {}",
            other.py_type_name()
        ))),
    }
}

fn primary_tasks(v: &Value, job_names: &[String]) -> Result<Option<Vec<String>>> {
    let Value::Seq(items) = v else {
        return Err(Error::value(format!(
            "primary_tasks must be a list of job names, got {}",
            v.py_type_name()
        )));
    };
    let mut names = Vec::new();
    for item in items {
        let Value::Str(name) = item else {
            return Err(Error::value(format!(
                "primary_tasks entries must be strings, got {}",
                item.py_type_name()
            )));
        };
        if !job_names.contains(name) {
            return Err(Error::value(format!(
                "primary_tasks references unknown job: {name}. Available jobs: {}",
                sorted_repr(job_names)
            )));
        }
        names.push(name.clone());
    }
    // An empty list means every job is primary, as if it were unset.
    Ok(Some(names).filter(|n| !n.is_empty()))
}

/// Validates the header up to the execution mode; returns the group name
/// and the mode.
fn header_fields(header: &Map, log: &mut Vec<Notice>) -> Result<(Value, Execution)> {
    if !header.contains("name") {
        return Err(Error::value(
            "Job Group header missing required fields: {'name'}",
        ));
    }
    let unknown: Vec<&Value> = header
        .keys()
        .filter(|k| !k.as_str().is_some_and(|k| HEADER_FIELDS.contains(&k)))
        .collect();
    if !unknown.is_empty() {
        log.push(Notice::Warning(format!(
            "Unknown fields in Job Group header: {}. These will be ignored.",
            set_repr(unknown.into_iter())
        )));
    }
    let name = header.get("name").cloned().unwrap_or_default();
    if !name.truthy() || !name_chars_ok(&name)? {
        return Err(name_error("job group", &name));
    }
    let execution = match header.get("execution") {
        None => Execution::Parallel,
        Some(Value::Str(s)) if s == "serial" => Execution::Serial,
        Some(Value::Str(s)) if s == "parallel" => Execution::Parallel,
        Some(other) => {
            return Err(Error::value(format!(
                "Invalid execution mode: {}. Valid options: ['serial', 'parallel']",
                other.py_str()
            )));
        }
    };
    Ok((name, execution))
}

/// `dag_utils._load_job_group`: a header (name, execution, primary_tasks,
/// termination_delay, inter_connection) and one named task per document.
/// `log` receives what SkyPilot logs, even when loading then fails.
pub fn load_job_group(
    configs: Vec<Value>,
    env_overrides: &[(String, String)],
    secrets_overrides: &[(String, String)],
    log: &mut Vec<Notice>,
) -> Result<DagSpec> {
    if configs.len() < 2 {
        return Err(Error::value(
            "Job Group YAML must have at least 2 documents: header and at least one job definition.",
        ));
    }
    let mut docs = configs.into_iter();
    let header = match docs.next().unwrap_or_default() {
        Value::Null => return Err(Error::value("Job Group header cannot be empty.")),
        Value::Map(m) => m,
        other => return Err(not_a_mapping(0, &other)),
    };
    let (group_name, execution) = header_fields(&header, log)?;
    let mut dag = DagSpec::new(group_name, execution);
    let mut job_names: Vec<String> = Vec::new();
    for (i, doc) in docs.enumerate() {
        let config = match doc {
            Value::Null => continue,
            Value::Map(m) => m,
            other => return Err(not_a_mapping(i + 1, &other)),
        };
        let job_name = match config.get("name") {
            None | Some(Value::Null) => {
                return Err(Error::value(format!(
                    "Job {} in Job Group must have a \"name\" field.",
                    i + 1
                )));
            }
            Some(n) => n.clone(),
        };
        if !name_chars_ok(&job_name)? {
            return Err(name_error("job", &job_name));
        }
        let Value::Str(job_name) = job_name else {
            return Err(Error::type_error(format!(
                "unhashable type: '{}'",
                job_name.py_type_name()
            )));
        };
        if job_names.contains(&job_name) {
            return Err(Error::value(format!(
                "Duplicate job name in Job Group: {job_name}"
            )));
        }
        let mut task = Task::from_yaml_config(config, env_overrides, secrets_overrides)?;
        task.name = Some(job_name.clone());
        job_names.push(job_name);
        dag.tasks.push(task);
    }
    if let Some(v) = header.get("primary_tasks").filter(|v| !v.is_null()) {
        dag.primary_tasks = primary_tasks(v, &job_names)?;
    }
    if let Some(v) = header.get("termination_delay").filter(|v| !v.is_null()) {
        dag.termination_delay = Some(termination_delay(v, &job_names)?);
    }
    match header.get("inter_connection") {
        None | Some(Value::Null) => {}
        Some(Value::Bool(b)) => dag.inter_connection = Some(*b),
        Some(other) => {
            return Err(Error::value(format!(
                "inter_connection must be a boolean, got {}: {}",
                other.py_type_name(),
                other.py_repr()
            )));
        }
    }
    let names = Value::Seq(job_names.into_iter().map(Value::Str).collect());
    log.push(Notice::Info(format!(
        "Loaded Job Group \"{}\" with {} jobs: {}",
        dag.name.py_str(),
        dag.tasks.len(),
        names.py_repr()
    )));
    Ok(dag)
}

/// `dag_utils.is_job_group_yaml_str`.
pub fn is_job_group_yaml_str(text: &str) -> Result<bool> {
    crate::spec::dag::is_job_group_configs(&read_yaml_all_str(text, false)?)
}

/// `dag_utils.is_job_group_yaml`.
pub fn is_job_group_yaml(path: &str) -> Result<bool> {
    crate::spec::dag::is_job_group_configs(&read_yaml_all(path)?)
}

/// `dag_utils.load_dag_from_yaml`: a job group when the file declares
/// `execution: parallel`, otherwise a pipeline (what `sky jobs launch` loads).
pub fn load_dag_yaml(
    path: &str,
    env_overrides: &[(String, String)],
    secrets_overrides: &[(String, String)],
    log: &mut Vec<Notice>,
) -> Result<DagSpec> {
    if is_job_group_yaml(path)? {
        load_job_group_yaml(path, env_overrides, secrets_overrides, log)
    } else {
        crate::spec::dag::load_chain_yaml(path, env_overrides, secrets_overrides)
    }
}
