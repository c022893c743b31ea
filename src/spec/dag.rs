//! `sky.Dag` as plain data, and multi-document task YAML loaded with
//! SkyPilot 0.14.1's `dag_utils` rules: pipelines (chain dags) here, job
//! groups in [`crate::spec::job_group`].

use crate::error::{Error, ErrorKind, Result};
use crate::spec::task::{Task, expand_user};
use crate::yaml::{self, Map, Value, YamlError, py_str_repr};

/// How a multi-task dag runs (`sky.DagExecution`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Execution {
    /// Tasks run one after another (a pipeline).
    Serial,
    /// All tasks start together (a job group).
    Parallel,
}

impl Execution {
    /// The YAML / enum value (`'serial'`, `'parallel'`).
    pub fn as_str(self) -> &'static str {
        match self {
            Execution::Serial => "serial",
            Execution::Parallel => "parallel",
        }
    }
}

/// A job group's `termination_delay`: one duration for every auxiliary
/// task, or per task name (with an optional `default` entry).
#[derive(Debug, Clone, PartialEq)]
pub enum TerminationDelay {
    /// `termination_delay: 30s`.
    All(String),
    /// `termination_delay: {default: 30s, task: 1m}` in document order.
    PerTask(Vec<(String, String)>),
}

impl TerminationDelay {
    /// The value as `Dag.termination_delay` holds it (a str or a dict).
    pub fn to_value(&self) -> Value {
        match self {
            TerminationDelay::All(s) => Value::Str(s.clone()),
            TerminationDelay::PerTask(pairs) => Value::Map(Map(pairs
                .iter()
                .map(|(k, v)| (Value::Str(k.clone()), Value::Str(v.clone())))
                .collect())),
        }
    }
}

/// Something SkyPilot logs while loading (shown to the user, not an error).
#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    /// `logger.info`.
    Info(String),
    /// `logger.warning`.
    Warning(String),
}

/// A loaded dag: its tasks, the chain edges and the header fields.
#[derive(Debug, Clone, PartialEq)]
pub struct DagSpec {
    /// `Dag.name`; any YAML value a header gave (usually a str), or `Null`.
    pub name: Value,
    /// `Dag.execution`.
    pub execution: Option<Execution>,
    /// Job group: the tasks whose completion ends the group.
    pub primary_tasks: Option<Vec<String>>,
    /// Job group: how long auxiliary tasks may outlive the primaries.
    pub termination_delay: Option<TerminationDelay>,
    /// Job group: whether tasks must reach each other by hostname.
    pub inter_connection: Option<bool>,
    /// The tasks in document order.
    pub tasks: Vec<Task>,
    /// Dependencies as `(from, to)` task indices.
    pub edges: Vec<(usize, usize)>,
}

impl DagSpec {
    /// An empty dag with the given execution mode.
    pub fn new(name: Value, execution: Execution) -> DagSpec {
        DagSpec {
            name,
            execution: Some(execution),
            primary_tasks: None,
            termination_delay: None,
            inter_connection: None,
            tasks: Vec::new(),
            edges: Vec::new(),
        }
    }

    /// `Dag.is_job_group()`.
    pub fn is_job_group(&self) -> bool {
        self.execution == Some(Execution::Parallel)
    }

    /// `Dag.is_chain()`: every in/out degree at most 1 with exactly one
    /// source and one sink (an empty dag is a chain).
    pub fn is_chain(&self) -> bool {
        let n = self.tasks.len();
        if n == 0 {
            return true;
        }
        let mut edges = self.edges.clone();
        edges.sort_unstable();
        edges.dedup();
        let (mut ins, mut outs) = (vec![0usize; n], vec![0usize; n]);
        for &(a, b) in &edges {
            outs[a] += 1;
            ins[b] += 1;
        }
        let ok =
            |d: &[usize]| d.iter().all(|&x| x <= 1) && d.iter().filter(|&&x| x == 0).count() == 1;
        ok(&ins) && ok(&outs)
    }
}

/// Reads a file as Python's `open(path, encoding='utf-8').read()`: the
/// text, or the `UnicodeDecodeError` message when it is not UTF-8.
pub fn read_utf8(path: &str) -> Result<std::result::Result<String, String>> {
    let bytes = std::fs::read(path).map_err(|e| io_error(&e, path))?;
    Ok(String::from_utf8(bytes).map_err(|e| unicode_error(e.as_bytes(), e.utf8_error())))
}

/// Words an I/O error as Python's `OSError` does (`[Errno 2] ...: 'path'`).
pub fn io_error(e: &std::io::Error, path: &str) -> Error {
    let kind = if e.kind() == std::io::ErrorKind::NotFound {
        ErrorKind::FileNotFound
    } else {
        ErrorKind::Os
    };
    let text = e.to_string();
    let strerror = text.split(" (os error").next().unwrap_or(&text);
    Error::new(
        kind,
        format!(
            "[Errno {}] {strerror}: {}",
            e.raw_os_error().unwrap_or(0),
            py_str_repr(path)
        ),
    )
}

/// CPython's `UnicodeDecodeError` message for the first bad sequence.
fn unicode_error(bytes: &[u8], e: std::str::Utf8Error) -> String {
    let pos = e.valid_up_to();
    let (len, reason) = match e.error_len() {
        None => (bytes.len() - pos, "unexpected end of data"),
        Some(n) => {
            let lead = bytes.get(pos).copied().unwrap_or(0);
            let start_ok = matches!(lead, 0xC2..=0xF4);
            let reason = if start_ok {
                "invalid continuation byte"
            } else {
                "invalid start byte"
            };
            (n, reason)
        }
    };
    if len <= 1 {
        format!(
            "'utf-8' codec can't decode byte 0x{:02x} in position {pos}: {reason}",
            bytes.get(pos).copied().unwrap_or(0)
        )
    } else {
        format!(
            "'utf-8' codec can't decode bytes in position {pos}-{}: {reason}",
            pos + len - 1
        )
    }
}

/// `yaml_utils.read_yaml_all_str`: every document, `[{}]` for none.
/// `strict` adds SkyPilot's duplicate-key check, which gives way to a
/// syntax error as `check_no_duplicate_keys` does.
pub fn read_yaml_all_str(text: &str, strict: bool) -> Result<Vec<Value>> {
    let docs = if strict {
        match yaml::load_all(text) {
            Err(dup @ YamlError::DuplicateKey { .. }) => match yaml::load_all_lenient(text) {
                Err(syntax @ YamlError::Syntax(_)) => Err(syntax),
                _ => Err(dup),
            },
            other => other,
        }
    } else {
        yaml::load_all_lenient(text)
    }?;
    Ok(if docs.is_empty() {
        vec![Value::Map(Map::new())]
    } else {
        docs
    })
}

/// SkyPilot fails with an `AttributeError` on a document that is not a
/// mapping; stix names the document instead.
pub fn not_a_mapping(index: usize, doc: &Value) -> Error {
    Error::value(format!(
        "Invalid task YAML: document {} must be a mapping of task fields, got {}.",
        index + 1,
        doc.py_type_name()
    ))
}

fn is_pipeline_header(m: &Map) -> bool {
    let keys: Vec<Option<&str>> = m.keys().map(Value::as_str).collect();
    matches!(
        keys.as_slice(),
        [Some("name")] | [Some("name"), Some("execution")] | [Some("execution"), Some("name")]
    )
}

/// `dag_utils._load_chain_dag`: an optional header (`name`, or `name` and
/// `execution: serial`), then one task per document, chained in order.
pub fn load_chain(
    configs: Vec<Value>,
    env_overrides: &[(String, String)],
    secrets_overrides: &[(String, String)],
) -> Result<DagSpec> {
    let mut dag_name = Value::Null;
    let mut docs: Vec<(usize, Value)> = configs.into_iter().enumerate().collect();
    match docs.first() {
        Some((_, Value::Map(first))) => {
            if is_pipeline_header(first) {
                dag_name = first.get("name").cloned().unwrap_or_default();
                let exec = first.get("execution").filter(|e| !e.is_null());
                if let Some(exec) = exec.filter(|e| e.as_str() != Some(Execution::Serial.as_str()))
                {
                    return Err(Error::value(format!(
                        "Invalid execution mode for pipeline: {}. Pipelines must use execution: \
                         serial (or omit it). Use execution: parallel for job groups.",
                        exec.py_repr()
                    )));
                }
                docs.remove(0);
            } else if docs.len() == 1 {
                // A single document: the task's own name names the dag.
                dag_name = first.get("name").cloned().unwrap_or_default();
            }
        }
        Some((i, doc)) if !doc.is_null() => return Err(not_a_mapping(*i, doc)),
        _ => {}
    }
    if docs.is_empty() {
        // A YAML with only a header still makes one task.
        let mut only = Map::new();
        only.insert("name", dag_name.clone());
        docs.push((1, Value::Map(only)));
    }
    let mut dag = DagSpec::new(dag_name, Execution::Serial);
    for (i, doc) in docs {
        let config = match doc {
            Value::Null => continue,
            Value::Map(m) => m,
            other => return Err(not_a_mapping(i, &other)),
        };
        dag.tasks.push(Task::from_yaml_config(
            config,
            env_overrides,
            secrets_overrides,
        )?);
        if dag.tasks.len() > 1 {
            dag.edges.push((dag.tasks.len() - 2, dag.tasks.len() - 1));
        }
    }
    Ok(dag)
}

/// `dag_utils.load_chain_dag_from_yaml_str`.
pub fn load_chain_yaml_str(
    text: &str,
    env_overrides: &[(String, String)],
    secrets_overrides: &[(String, String)],
) -> Result<DagSpec> {
    load_chain(
        read_yaml_all_str(text, false)?,
        env_overrides,
        secrets_overrides,
    )
}

/// `dag_utils.load_chain_dag_from_yaml`: also rejects non-UTF-8 files,
/// duplicate keys and files without any task, and records the git commit
/// of the file's directory in each task's metadata.
pub fn load_chain_yaml(
    path: &str,
    env_overrides: &[(String, String)],
    secrets_overrides: &[(String, String)],
) -> Result<DagSpec> {
    let expanded = expand_user(path);
    let text = read_utf8(&expanded)?.map_err(|_| {
        Error::value(format!(
            "{} is not a valid UTF-8 text file and cannot be parsed as YAML.",
            py_str_repr(path)
        ))
    })?;
    let configs = read_yaml_all_str(&text, true)?;
    if !configs.iter().any(Value::truthy) {
        return Err(Error::value(format!(
            "{} is empty or contains no task definition. Add at least a `run:` (or `setup:`) field.",
            py_str_repr(path)
        )));
    }
    let mut dag = load_chain(configs, env_overrides, secrets_overrides)?;
    let dir = std::fs::canonicalize(&expanded)
        .ok()
        .and_then(|p| p.parent().map(std::path::Path::to_path_buf));
    if let Some(commit) = dir.and_then(|d| git_commit(&d)) {
        for task in &mut dag.tasks {
            if !task.metadata.contains("git_commit") {
                task.metadata.insert("git_commit", commit.as_str());
            }
        }
    }
    Ok(dag)
}

/// `common_utils.get_git_commit`: `HEAD` of the repository holding `dir`,
/// or `None` outside a repository or without git.
pub fn git_commit(dir: &std::path::Path) -> Option<String> {
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

/// `dag_utils._is_job_group_configs`: a header with `execution: parallel`
/// followed by at least one document.
pub fn is_job_group_configs(configs: &[Value]) -> Result<bool> {
    if configs.len() < 2 {
        return Ok(false);
    }
    match &configs[0] {
        Value::Null => Ok(false),
        Value::Map(h) => {
            Ok(h.get("execution").and_then(Value::as_str) == Some(Execution::Parallel.as_str()))
        }
        other => Err(not_a_mapping(0, other)),
    }
}

/// `yaml_utils.read_yaml_all(path)`: no `~` expansion, no duplicate-key
/// check, a `UnicodeDecodeError` (a `ValueError`) for non-UTF-8 files.
pub fn read_yaml_all(path: &str) -> Result<Vec<Value>> {
    let text = read_utf8(path)?.map_err(Error::value)?;
    read_yaml_all_str(&text, false)
}

#[cfg(test)]
#[path = "dag_tests.rs"]
mod tests;
