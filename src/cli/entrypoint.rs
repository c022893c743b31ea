//! ENTRYPOINT words plus task options -> a [`Task`], as SkyPilot's
//! `_make_task_or_dag_from_entrypoint_with_overrides` builds it: a YAML
//! file or an inline command, then workdir, envs, secrets and resource
//! overrides applied to every resource candidate.

use crate::cli::CliError;
use crate::cli::console::{Console, Style};
use crate::cli::yaml_entry;
use crate::error::{Error, Result};
use crate::spec::dag::{self, DagSpec, Notice};
use crate::spec::docker_login::{check as docker_login_valid, has_docker_image};
use crate::spec::infra::{Cloud, InfraInfo};
use crate::spec::job_group;
use crate::spec::{ResourceGroup, Resources, Task};
use crate::yaml::{Map, Value, py_parse_int, py_str_repr};

/// Everything the task is built from, after option parsing.
#[derive(Debug, Clone, Default)]
pub struct TaskRequest {
    /// ENTRYPOINT words (joined with spaces, as SkyPilot does).
    pub entrypoint: Vec<String>,
    /// `--name`.
    pub name: Option<String>,
    /// `--workdir`.
    pub workdir: Option<String>,
    /// Cloud, region and zone after `--infra` handling (`*` = any).
    pub cloud: Option<String>,
    /// See `cloud`.
    pub region: Option<String>,
    /// See `cloud`.
    pub zone: Option<String>,
    /// `--gpus`.
    pub gpus: Option<String>,
    /// `--cpus`.
    pub cpus: Option<String>,
    /// `--memory`.
    pub memory: Option<String>,
    /// `--instance-type`.
    pub instance_type: Option<String>,
    /// `--num-nodes`.
    pub num_nodes: Option<i64>,
    /// `--use-spot/--no-use-spot`.
    pub use_spot: Option<bool>,
    /// `--image-id`.
    pub image_id: Option<String>,
    /// `--disk-size`.
    pub disk_size: Option<i64>,
    /// `--disk-tier`.
    pub disk_tier: Option<String>,
    /// `--network-tier`.
    pub network_tier: Option<String>,
    /// `--local-disk`.
    pub local_disk: Option<String>,
    /// `--ports` (each may hold a comma-separated list).
    pub ports: Vec<String>,
    /// `--priority` (`sky launch` only).
    pub priority: Option<String>,
    /// Envs after merging `--env-file` and `--env` (`None`: a bare dotenv key).
    pub env: Vec<(String, Option<String>)>,
    /// Secrets after merging the dotenv files and `--secret`.
    pub secret: Vec<(String, Option<String>)>,
    /// Override fields this command ignores (`sky exec`: resources it
    /// cannot change on a running cluster).
    pub field_to_ignore: &'static [&'static str],
    /// Parsed `--config` overrides (only `cluster_config_overrides` keys).
    pub config_override: Option<Map>,
    /// `--git-url`.
    pub git_url: Option<String>,
    /// `--git-ref`.
    pub git_ref: Option<String>,
}

/// A task, or the tasks of a multi-document YAML (a pipeline).
#[derive(Debug, Clone, PartialEq)]
pub enum Built {
    /// One task.
    Task(Box<Task>),
    /// A pipeline's tasks, in order.
    Dag(DagSpec),
}

/// `_handle_infra_cloud_region_zone_options`: the deprecated flags warn;
/// `--infra` turns into cloud/region/zone with `*` for the parts it leaves
/// open (so they reset what the YAML says).
pub fn handle_infra(
    infra: Option<&str>,
    cloud: Option<&str>,
    region: Option<&str>,
    zone: Option<&str>,
    console: &mut dyn Console,
) -> Result<(Option<String>, Option<String>, Option<String>)> {
    let owned = |v: Option<&str>| v.map(str::to_string);
    if cloud.is_some() || region.is_some() || zone.is_some() {
        console.echo(
            &[(
                "The --cloud, --region, and --zone options are deprecated. Use --infra instead.",
                Style::Yellow,
            )],
            true,
        );
        if infra.is_some() {
            return Err(Error::value(
                "Cannot specify both --infra and --cloud, --region, or --zone.",
            ));
        }
    }
    let Some(infra) = infra else {
        return Ok((owned(cloud), owned(region), owned(zone)));
    };
    let info = InfraInfo::parse(infra)?;
    let star = |v: Option<String>| Some(v.unwrap_or_else(|| "*".to_string()));
    Ok((star(info.cloud), star(info.region), star(info.zone)))
}

fn is_none_word(v: &str) -> bool {
    v.to_lowercase() == "none"
}

/// `_parse_override_params`: the `Resources.copy` overrides, in SkyPilot's
/// order (`none` resets a field; `*` too for cloud, region and zone).
pub fn parse_override_params(req: &TaskRequest) -> Result<Map> {
    let mut params = Map::new();
    let location = |v: &str| is_none_word(v) || v == "*";
    if let Some(c) = &req.cloud {
        let value = if location(c) {
            Value::Null
        } else {
            Value::from(Cloud::from_str(c)?.name())
        };
        params.insert("cloud", value);
    }
    for (key, v) in [("region", &req.region), ("zone", &req.zone)] {
        if let Some(v) = v {
            params.insert(key, (!location(v)).then(|| v.clone()));
        }
    }
    // String overrides where `none` resets the field.
    let resettable = |params: &mut Map, fields: &[(&str, &Option<String>)]| {
        for (key, v) in fields {
            if let Some(v) = v {
                params.insert(*key, (!is_none_word(v)).then(|| v.clone()));
            }
        }
    };
    resettable(
        &mut params,
        &[
            ("accelerators", &req.gpus),
            ("cpus", &req.cpus),
            ("memory", &req.memory),
            ("instance_type", &req.instance_type),
        ],
    );
    if let Some(spot) = req.use_spot {
        params.insert("use_spot", spot);
    }
    resettable(&mut params, &[("image_id", &req.image_id)]);
    if let Some(size) = req.disk_size {
        params.insert("disk_size", size);
    }
    resettable(
        &mut params,
        &[
            ("disk_tier", &req.disk_tier),
            ("network_tier", &req.network_tier),
            ("local_disk", &req.local_disk),
        ],
    );
    if !req.ports.is_empty() {
        if req.ports.iter().any(|p| is_none_word(p)) {
            if req.ports.len() > 1 {
                return Err(Error::value(
                    "Cannot specify both \"none\" and other ports.",
                ));
            }
            params.insert("ports", Value::Null);
        } else {
            let ports: Vec<Value> = req.ports.iter().map(|p| Value::from(p.as_str())).collect();
            params.insert("ports", Value::Seq(ports));
        }
    }
    if let Some(p) = &req.priority {
        // An int is a priority, any other word a priority class.
        let p = p.trim();
        params.insert("priority", Value::Null);
        params.insert("priority_class", Value::Null);
        if !is_none_word(p) && !p.is_empty() {
            match py_parse_int(p) {
                Some(n) => params.insert("priority", n),
                None => params.insert("priority_class", p),
            }
        }
    }
    if let Some(c) = req.config_override.clone().filter(|c| !c.is_empty()) {
        params.insert("_cluster_config_overrides", Value::Map(c));
    }
    Ok(params)
}

/// `str(value)` of an override as SkyPilot prints it (ports are a tuple).
fn override_str(key: &str, v: &Value) -> String {
    match (key, v) {
        ("cloud", Value::Str(c)) => Cloud::from_str(c).map_or(c.clone(), |c| c.display().into()),
        ("ports", Value::Seq(items)) => {
            let parts: Vec<String> = items.iter().map(Value::py_repr).collect();
            if parts.len() == 1 {
                format!("({},)", parts[0])
            } else {
                format!("({})", parts.join(", "))
            }
        }
        (_, Value::Str(s)) => s.clone(),
        _ => v.py_repr(),
    }
}

/// `repr(override_params)` (a dict of overrides).
fn overrides_repr(params: &Map) -> String {
    let items: Vec<String> = params
        .iter()
        .map(|(k, v)| {
            let key = k.py_str();
            let shown = match v {
                Value::Str(_) if key != "cloud" => v.py_repr(),
                _ => override_str(&key, v),
            };
            format!("{}: {shown}", py_str_repr(&key))
        })
        .collect();
    format!("{{{}}}", items.join(", "))
}

/// SkyPilot warns once per resource without a docker image whenever a
/// complete registry login is set.
fn warn_docker_login(task: &Task, console: &mut dyn Console) {
    if !docker_login_valid(&task.envs, &task.secrets).unwrap_or(false) {
        return;
    }
    for _ in task
        .resources
        .items()
        .iter()
        .filter(|r| !has_docker_image(r))
    {
        console.log(&[(
            "Docker login configs SKYPILOT_DOCKER_PASSWORD, SKYPILOT_DOCKER_SERVER, SKYPILOT_DOCKER_USERNAME \
             are provided, but no docker image is specified in `image_id`. The login configs will be ignored.",
            Style::Yellow,
        )]);
    }
}

fn pairs(v: &[(String, Option<String>)]) -> Vec<(Value, Value)> {
    v.iter()
        .map(|(k, v)| (Value::from(k.as_str()), Value::from(v.clone())))
        .collect()
}

/// `update_envs_and_secrets_from_workdir`: a git workdir (`{url, ref}`)
/// is checked for access and adds `GIT_URL` and its ref's `GIT_*` env.
fn envs_from_git_workdir(task: &mut Task) -> Result<()> {
    let Some(Value::Map(m)) = &task.workdir else {
        return Ok(());
    };
    let get = |k: &str| m.get(k).filter(|v| !v.is_null()).map(Value::py_str);
    let url = get("url").unwrap_or_default();
    let git_ref = get("ref").unwrap_or_default();
    let envs = crate::backend::git_workdir::workdir_envs(&url, &git_ref)?;
    let pairs: Vec<(Value, Value)> = envs
        .into_iter()
        .map(|(k, v)| (Value::from(k), Value::from(v)))
        .collect();
    task.update_envs(pairs, true)
}

fn recipe_name(entrypoint: &str) -> Option<&str> {
    let name = entrypoint.strip_prefix("recipes:")?;
    let bytes = name.as_bytes();
    let ok = bytes.first().is_some_and(u8::is_ascii_alphabetic)
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric);
    ok.then_some(name)
}

/// `_make_task_or_dag_from_entrypoint_with_overrides`.
pub fn make_task_or_dag(
    req: &TaskRequest,
    console: &mut dyn Console,
) -> std::result::Result<Built, CliError> {
    if req.git_url.is_some() && req.workdir.is_some() {
        return Err(CliError::usage(
            "Cannot specify both --git-url and --workdir",
        ));
    }
    let entrypoint = req.entrypoint.join(" ");
    if let Some(recipe) = recipe_name(&entrypoint) {
        console.echo(&[("Recipe to run: ", Style::Cyan)], false);
        console.echo(&[(recipe, Style::Plain)], true);
        return Err(CliError::usage(format!(
            "Failed to fetch recipe {}: the Recipe Hub needs a SkyPilot API server, which stix does not run yet.",
            py_str_repr(recipe)
        )));
    }
    let check = yaml_entry::check_yaml_only(&entrypoint)?;
    if !check.is_yaml && check.looks_like_yaml {
        let head = format!(
            "{} looks like a yaml path but {}",
            py_str_repr(&entrypoint),
            check.invalid_reason
        );
        console.confirm(&[
            (&head, Style::Yellow),
            (
                "\nIt will be treated as a command to be run remotely. Continue?",
                Style::Plain,
            ),
        ])?;
    }
    if check.is_yaml {
        console.echo(&[("YAML to run: ", Style::Cyan)], false);
        console.echo(&[(&entrypoint, Style::Plain)], true);
    } else if !entrypoint.is_empty() {
        console.echo(&[("Command to run: ", Style::Cyan)], false);
        console.echo(&[(&entrypoint, Style::Plain)], true);
    }
    let mut params = parse_override_params(req)?;
    for field in req.field_to_ignore {
        if let Some(v) = params.remove(field).filter(|v| !v.is_null()) {
            let line = format!(
                "Override param {field}={} is ignored.",
                override_str(field, &v)
            );
            console.echo(&[(&line, Style::Yellow)], true);
        }
    }
    let (workdir, git_url, git_ref) = (
        req.workdir.as_deref(),
        req.git_url.as_deref(),
        req.git_ref.as_deref(),
    );
    let mut task = if check.is_yaml {
        yaml_entry::check_usage_log_docs(&entrypoint)?;
        if job_group::is_job_group_yaml(&entrypoint)? {
            console.echo(&[("Detected Job Group YAML", Style::Cyan)], true);
            let mut log = Vec::new();
            let loaded =
                job_group::load_job_group_yaml(&entrypoint, &req.env, &req.secret, &mut log);
            // SkyPilot logs while loading, so notices show even on failure.
            for notice in log {
                match notice {
                    Notice::Info(m) => console.log(&[(&m, Style::Plain)]),
                    Notice::Warning(m) => console.log(&[(&m, Style::Plain)]),
                }
            }
            let mut dag = loaded?;
            if !params.is_empty() {
                let line = format!(
                    "WARNING: override params {} are ignored for Job Group YAML.",
                    overrides_repr(&params)
                );
                console.echo(&[(&line, Style::Yellow)], true);
            }
            for t in &mut dag.tasks {
                t.update_workdir(workdir, git_url, git_ref);
                envs_from_git_workdir(t)?;
            }
            return Ok(Built::Dag(dag));
        }
        let mut loaded = dag::load_chain_yaml(&entrypoint, &req.env, &req.secret)?;
        for t in &loaded.tasks {
            warn_docker_login(t, console);
        }
        if loaded.tasks.len() > 1 {
            if !params.is_empty() {
                let line = format!(
                    "WARNING: override params {} are ignored, since the yaml file contains multiple tasks.",
                    overrides_repr(&params)
                );
                console.echo(&[(&line, Style::Yellow)], true);
            }
            for t in &mut loaded.tasks {
                t.update_workdir(workdir, git_url, git_ref);
                envs_from_git_workdir(t)?;
            }
            return Ok(Built::Dag(loaded));
        }
        match loaded.tasks.pop() {
            Some(t) => t,
            None => {
                return Err(
                    Error::assertion("If you see this, please file an issue; tasks: []").into(),
                );
            }
        }
    } else {
        let mut t = Task::new();
        t.name = Some("sky-cmd".to_string());
        t.run = (!entrypoint.is_empty()).then(|| entrypoint.clone());
        t.set_resources(ResourceGroup::AnyOf(vec![Resources::new(&Map::new())?]))?;
        t.update_envs(pairs(&req.env), true)?;
        warn_docker_login(&t, console);
        t.update_secrets(pairs(&req.secret), true)?;
        warn_docker_login(&t, console);
        t
    };
    task.update_workdir(workdir, git_url, git_ref);
    envs_from_git_workdir(&mut task)?;
    task.set_resources_override(&params)?;
    warn_docker_login(&task, console);
    if let Some(n) = req.num_nodes {
        task.set_num_nodes(Some(Value::Int(n)))?;
    }
    if let Some(name) = &req.name {
        task.name = Some(name.clone());
    }
    Ok(Built::Task(Box::new(task)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::console::BufferConsole;

    fn req(words: &[&str]) -> TaskRequest {
        TaskRequest {
            entrypoint: words.iter().map(|w| w.to_string()).collect(),
            ..TaskRequest::default()
        }
    }

    fn task(r: &TaskRequest) -> Task {
        match make_task_or_dag(r, &mut BufferConsole::default()) {
            Ok(Built::Task(t)) => *t,
            other => panic!("not a task: {other:?}"),
        }
    }

    #[test]
    fn inline_command_becomes_sky_cmd() {
        let mut r = req(&["echo", "hi"]);
        r.cpus = Some("4+".into());
        r.env = vec![("A".into(), Some("1".into()))];
        let mut console = BufferConsole::default();
        let Ok(Built::Task(t)) = make_task_or_dag(&r, &mut console) else {
            panic!("no task")
        };
        assert_eq!(console.out, "Command to run: echo hi\n");
        assert_eq!(t.name.as_deref(), Some("sky-cmd"));
        assert_eq!(t.run.as_deref(), Some("echo hi"));
        assert_eq!(t.resources.items()[0].cpus.as_deref(), Some("4+"));
        assert_eq!(t.envs.get("A"), Some(&Value::from("1")));
    }

    #[test]
    fn overrides_follow_skypilot() {
        let mut r = req(&[]);
        r.cloud = Some("*".into());
        r.region = Some("None".into());
        r.gpus = Some("V100:2".into());
        r.ports = vec!["8080".into()];
        r.priority = Some(" high ".into());
        let p = parse_override_params(&r).unwrap();
        assert_eq!(p.get("cloud"), Some(&Value::Null));
        assert_eq!(p.get("region"), Some(&Value::Null));
        assert_eq!(p.get("accelerators"), Some(&Value::from("V100:2")));
        assert_eq!(p.get("priority"), Some(&Value::Null));
        assert_eq!(p.get("priority_class"), Some(&Value::from("high")));
        assert_eq!(override_str("ports", p.get("ports").unwrap()), "('8080',)");
        r.ports.push("none".into());
        assert_eq!(
            parse_override_params(&r).unwrap_err().message,
            "Cannot specify both \"none\" and other ports."
        );
        let mut r = req(&[]);
        r.cloud = Some("aws".into());
        r.disk_size = Some(10);
        let p = parse_override_params(&r).unwrap();
        assert_eq!(overrides_repr(&p), "{'cloud': AWS, 'disk_size': 10}");
    }

    #[test]
    fn infra_leaves_stars_for_open_parts() {
        let mut c = BufferConsole::default();
        let got = handle_infra(Some("aws"), None, None, None, &mut c).unwrap();
        assert_eq!(
            got,
            (Some("aws".into()), Some("*".into()), Some("*".into()))
        );
        let err = handle_infra(Some("gcp"), Some("aws"), None, None, &mut c).unwrap_err();
        assert!(err.message.starts_with("Cannot specify both --infra"));
        assert!(c.out.contains("deprecated"));
    }

    #[test]
    fn num_nodes_and_name_apply_last() {
        let mut r = req(&["true"]);
        r.num_nodes = Some(3);
        r.name = Some("n".into());
        let t = task(&r);
        assert_eq!((t.num_nodes, t.name.as_deref()), (3, Some("n")));
        r.num_nodes = Some(0);
        let err = make_task_or_dag(&r, &mut BufferConsole::default()).unwrap_err();
        assert_eq!(
            err,
            CliError::Task(Error::value("num_nodes should be a positive int. Got: 0"))
        );
    }

    #[test]
    fn git_url_and_workdir_conflict() {
        let mut r = req(&["true"]);
        r.git_url = Some("https://x".into());
        r.workdir = Some(".".into());
        let err = make_task_or_dag(&r, &mut BufferConsole::default()).unwrap_err();
        assert_eq!(
            err,
            CliError::usage("Cannot specify both --git-url and --workdir")
        );
    }
}
