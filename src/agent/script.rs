//! What a job runs and prints: SkyPilot's task bash script
//! (`log_lib.make_task_bash_script`), the environment variables of
//! `task_codegen` and `CloudVmRayBackend` (§4 of the runtime reference),
//! and the exact messages the driver writes to `run.log`.

use serde::{Deserialize, Serialize};

use super::ClusterSpec;
use crate::runner::shlex;

/// ANSI sequences as colorama writes them.
pub mod ansi {
    /// `Style.DIM`.
    pub const DIM: &str = "\x1b[2m";
    /// `Style.RESET_ALL` / `Fore.RESET` as SkyPilot uses them.
    pub const RESET: &str = "\x1b[0m";
    /// `Fore.RED`.
    pub const RED: &str = "\x1b[31m";
    /// `Fore.GREEN`.
    pub const GREEN: &str = "\x1b[32m";
    /// `Fore.YELLOW`.
    pub const YELLOW: &str = "\x1b[33m";
    /// `Fore.CYAN`.
    pub const CYAN: &str = "\x1b[36m";
    /// `Style.BRIGHT`.
    pub const BRIGHT: &str = "\x1b[1m";
}

use ansi::{DIM, GREEN, RED, RESET};

/// `ux_utils.INDENT_SYMBOL`.
pub const INDENT_SYMBOL: &str = "\x1b[2m├── \x1b[0m";
/// `ux_utils.INDENT_LAST_SYMBOL`.
pub const INDENT_LAST_SYMBOL: &str = "\x1b[2m└── \x1b[0m";
/// `log_lib.LOG_FILE_START_STREAMING_AT`: `sky logs` prints from this line.
pub const LOG_FILE_START_STREAMING_AT: &str = "Waiting for task resources on ";
/// Ray's return code for tasks it force-cancelled (`CANCELLED_RETURN_CODE`).
pub const CANCELLED_RETURN_CODE: i32 = 137;

/// What a job needs per node (`get_task_demands_dict`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Demand {
    /// CPUs reserved (0.5 by default).
    pub cpus: f64,
    /// Accelerator name, if any.
    pub accelerator: Option<String>,
    /// Accelerators per node (fractions allowed below 1).
    pub accelerator_count: f64,
}

impl Default for Demand {
    fn default() -> Self {
        Demand {
            cpus: DEFAULT_TASK_CPU_DEMAND,
            accelerator: None,
            accelerator_count: 0.0,
        }
    }
}

/// `DEFAULT_TASK_CPU_DEMAND`.
pub const DEFAULT_TASK_CPU_DEMAND: f64 = 0.5;

/// A job as the client submits it (`sky exec`, or the EXEC stage of
/// `sky launch`). Stored on the head readable by its owner only, since
/// `envs` carries the task's secrets in plain text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobSubmission {
    /// The task name.
    pub job_name: Option<String>,
    /// The submitting user's hash.
    pub user_hash: String,
    /// The submitting user's name (`SKYPILOT_USER`).
    pub user_name: String,
    /// The client's run timestamp (`sky-YYYY-MM-DD-HH-MM-SS-ffffff`).
    pub run_timestamp: String,
    /// `1x[CPU:0.5]`-style resources string for `sky queue`.
    pub resources_str: String,
    /// Task metadata JSON.
    pub metadata: String,
    /// Nodes the job runs on.
    pub num_nodes: u32,
    /// Per-node demand.
    pub demand: Demand,
    /// Setup to run inside the job on every node (`SETTING_UP`).
    pub setup: Option<String>,
    /// The run script.
    pub run: Option<String>,
    /// Task envs then secrets, in order (plain text).
    pub envs: Vec<(String, String)>,
}

/// Sets `key` in an ordered env list, keeping its first position (a
/// Python dict assignment).
pub fn set_env(env: &mut Vec<(String, String)>, key: &str, value: impl Into<String>) {
    let value = value.into();
    match env.iter_mut().find(|(k, _)| k == key) {
        Some(slot) => slot.1 = value,
        None => env.push((key.to_string(), value)),
    }
}

/// `log_lib.make_task_bash_script`: the preamble every setup and run uses,
/// then `export K=quoted` per variable, then the command.
pub fn make_task_bash_script(codegen: &str, env: &[(String, String)]) -> String {
    let mut lines = vec![
        "#!/bin/bash".to_string(),
        "[ -f ~/.bashrc ] && source ~/.bashrc".to_string(),
        "set -a".to_string(),
        ". $(conda info --base 2> /dev/null)/etc/profile.d/conda.sh > /dev/null 2>&1 || true"
            .to_string(),
        "set +a".to_string(),
        "export PYTHONUNBUFFERED=1".to_string(),
        format!("cd {}", super::SKY_REMOTE_WORKDIR),
    ];
    for (k, v) in env {
        lines.push(format!("export {k}={}", shlex::quote(v)));
    }
    lines.push(codegen.to_string());
    lines.push(String::new());
    lines.join("\n")
}

/// `json.dumps` of SKYPILOT_CLUSTER_INFO (Python's `", "` and `": "`).
pub fn cluster_info_json(spec: &ClusterSpec) -> String {
    let s = |v: &Option<String>| match v {
        Some(x) => serde_json::to_string(x).unwrap_or_else(|_| "null".into()),
        None => "null".into(),
    };
    format!(
        "{{\"cluster_name\": {}, \"cloud\": {}, \"region\": {}, \"zone\": {}}}",
        serde_json::to_string(&spec.cluster_name).unwrap_or_default(),
        serde_json::to_string(&spec.cloud).unwrap_or_default(),
        s(&spec.region),
        s(&spec.zone)
    )
}

/// `common_utils.get_global_job_id` (`SKYPILOT_TASK_ID`).
pub fn global_job_id(run_timestamp: &str, cluster_name: &str, job_id: i64) -> String {
    let ts = match run_timestamp.split_once("sky-") {
        Some((_, rest)) => format!("sky-{rest}"),
        None => String::new(),
    };
    format!("{ts}_{cluster_name}_{job_id}")
}

/// `_get_task_env_vars`: envs and secrets, `SKYPILOT_TASK_ID` (unless the
/// task set it), `SKYPILOT_CLUSTER_INFO` and `SKYPILOT_USER`.
pub fn task_env(spec: &ClusterSpec, sub: &JobSubmission, job_id: i64) -> Vec<(String, String)> {
    let mut env = sub.envs.clone();
    if !env.iter().any(|(k, _)| k == "SKYPILOT_TASK_ID") {
        let id = global_job_id(&sub.run_timestamp, &spec.cluster_name, job_id);
        env.push(("SKYPILOT_TASK_ID".into(), id));
    }
    set_env(&mut env, "SKYPILOT_CLUSTER_INFO", cluster_info_json(spec));
    set_env(&mut env, "SKYPILOT_USER", sub.user_name.clone());
    env
}

/// `int(math.ceil(count))` of the per-node accelerator demand.
pub fn num_gpus_per_node(demand: &Demand) -> u32 {
    demand.accelerator_count.max(0.0).ceil() as u32
}

/// The env of the run script on one rank (`RayCodeGen._add_ray_task`).
pub fn run_env(
    task_env: &[(String, String)],
    job_ips: &[String],
    rank: usize,
    demand: &Demand,
    job_id: i64,
) -> Vec<(String, String)> {
    let mut env = vec![
        ("SKYPILOT_NODE_IPS".to_string(), job_ips.join("\n")),
        ("SKYPILOT_NUM_NODES".to_string(), job_ips.len().to_string()),
    ];
    for (k, v) in task_env {
        set_env(&mut env, k, v.clone());
    }
    set_env(
        &mut env,
        "SKYPILOT_NUM_GPUS_PER_NODE",
        num_gpus_per_node(demand).to_string(),
    );
    set_env(&mut env, "SKYPILOT_NODE_RANK", rank.to_string());
    set_env(&mut env, "SKYPILOT_INTERNAL_JOB_ID", job_id.to_string());
    env
}

/// The env of the setup script on node `node_rank` (`_setup` + codegen).
pub fn setup_env(
    task_env: &[(String, String)],
    cluster_ips: &[String],
    node_rank: usize,
    num_nodes: u32,
    demand: &Demand,
) -> Vec<(String, String)> {
    let mut env = task_env.to_vec();
    set_env(&mut env, "SKYPILOT_NUM_NODES", num_nodes.to_string());
    set_env(&mut env, "SKYPILOT_SETUP_NODE_IPS", cluster_ips.join("\n"));
    set_env(&mut env, "SKYPILOT_SETUP_NODE_RANK", node_rank.to_string());
    set_env(
        &mut env,
        "SKYPILOT_SETUP_NUM_GPUS_PER_NODE",
        num_gpus_per_node(demand).to_string(),
    );
    env
}

/// `Waiting for task resources on N node(s).`
pub fn waiting_message(num_nodes: u32) -> String {
    let plural = if num_nodes > 1 { "s" } else { "" };
    format!("{INDENT_SYMBOL}{DIM}{LOG_FILE_START_STREAMING_AT}{num_nodes} node{plural}.{RESET}")
}

/// `Job started. Streaming logs...`
pub fn job_started_message() -> String {
    format!(
        "{INDENT_LAST_SYMBOL}Job started. Streaming logs... {DIM}(Ctrl-C to exit log \
         streaming; job will not be killed){RESET}"
    )
}

/// `ux_utils.finishing_message`.
pub fn finishing_message(message: &str) -> String {
    format!("{RESET}{GREEN}✓ {message}{RESET}{RESET}")
}

/// The setup failure line.
pub fn setup_failed_message(job_id: i64, failed: &[(i64, i32)]) -> String {
    let workers: Vec<String> = failed
        .iter()
        .map(|(pid, rc)| format!("(pid={pid}, returncode={rc})"))
        .collect();
    format!(
        "ERROR: {RED}Job {job_id}'s setup failed. Failed workers: {}. See error logs above \
         for more details.{RESET}",
        workers.join(", ")
    )
}

/// The run failure line (`print(msg, returncodes, reason)`).
pub fn job_failed_message(job_id: i64, codes: &[i32]) -> String {
    let mut reason = String::new();
    if codes.contains(&139) {
        reason = "(likely due to Segmentation Fault)".into();
    }
    if codes.contains(&CANCELLED_RETURN_CODE) {
        let first = codes
            .iter()
            .find(|c| **c != CANCELLED_RETURN_CODE)
            .copied()
            .unwrap_or(CANCELLED_RETURN_CODE);
        reason = format!(
            "(A Worker failed with return code {first}, SkyPilot cleaned up the processes \
             on other nodes with return code 137)"
        );
    }
    let list = codes
        .iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    format!("ERROR: {RED}Job {job_id} failed with return code list:{RESET} [{list}] {reason}")
}

/// Ray's worker-log prefix: `(name pid=N[, ip=X]) ` dimmed cyan.
pub fn ray_prefix(name: &str, pid: u32, ip: Option<&str>) -> String {
    let ip = ip.map(|i| format!(", ip={i}")).unwrap_or_default();
    format!("{DIM}{}({name} pid={pid}{ip}){RESET} ", ansi::CYAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_envs() {
        assert_eq!(
            global_job_id("sky-2024-01-02-03-04-05-123456", "dev", 3),
            "sky-2024-01-02-03-04-05-123456_dev_3"
        );
        assert_eq!(
            job_failed_message(2, &[1]),
            "ERROR: \x1b[31mJob 2 failed with return code list:\x1b[0m [1] "
        );
        assert!(job_failed_message(2, &[137, 3]).contains("return code 3, SkyPilot"));
        assert_eq!(
            ray_prefix("task,", 7, None),
            "\x1b[2m\x1b[36m(task, pid=7)\x1b[0m "
        );
        let script = make_task_bash_script("echo hi", &[("A".into(), "x y".into())]);
        assert!(script.ends_with("cd ~/sky_workdir\nexport A='x y'\necho hi\n"));
        let env = run_env(
            &[
                ("SKYPILOT_NUM_NODES".into(), "9".into()),
                ("K".into(), "v".into()),
            ],
            &["1.1.1.1".into(), "2.2.2.2".into()],
            1,
            &Demand {
                cpus: 0.5,
                accelerator: Some("A100".into()),
                accelerator_count: 0.5,
            },
            4,
        );
        let keys: Vec<&str> = env.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "SKYPILOT_NODE_IPS",
                "SKYPILOT_NUM_NODES",
                "K",
                "SKYPILOT_NUM_GPUS_PER_NODE",
                "SKYPILOT_NODE_RANK",
                "SKYPILOT_INTERNAL_JOB_ID"
            ]
        );
        assert_eq!(
            env[1].1, "9",
            "a task env overrides, as the dict update does"
        );
        assert_eq!(env[3].1, "1");
    }
}
