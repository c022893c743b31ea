//! The task options `sky launch`, `sky exec` (and later `jobs launch`,
//! `serve up`) share: SkyPilot's `TASK_OPTIONS`, `EXTRA_RESOURCES_OPTIONS`
//! and `--config`, with click's help texts, metavars and value types.

use clap::Args;

use crate::cli::click;
use crate::cli::dotenv::Dotenv;

/// `DiskTier.supported_tiers()`.
const DISK_TIERS: &[&str] = &["low", "medium", "high", "ultra", "best", "none"];
/// `NetworkTier.supported_tiers()`.
const NETWORK_TIERS: &[&str] = &["standard", "best"];

fn int(s: &str) -> Result<i64, click::ParamError> {
    click::int(s)
}
fn disk_tier(s: &str) -> Result<String, click::ParamError> {
    click::choice(s, DISK_TIERS, false)
}
fn network_tier(s: &str) -> Result<String, click::ParamError> {
    click::choice(s, NETWORK_TIERS, false)
}

/// SkyPilot's `TASK_OPTIONS`.
#[derive(Args, Debug, Clone, Default)]
pub struct TaskOptions {
    /// If specified, sync this dir to the remote working directory, where the task will be invoked. Overrides the "workdir" config in the YAML if both are supplied.
    #[arg(verbatim_doc_comment, long, value_name = "DIRECTORY", value_parser = click::directory, allow_hyphen_values = true)]
    pub workdir: Option<String>,
    /// Infrastructure to use. Format: cloud, cloud/region, cloud/region/zone, k8s/context-name, or ssh/node-pool-name. Examples: aws, aws/us-east-1, aws/us-east-1/us-east-1a, aws/*/us-east-1a, k8s/my-context, ssh/my-nodes.
    #[arg(
        verbatim_doc_comment,
        long,
        value_name = "TEXT",
        allow_hyphen_values = true
    )]
    pub infra: Option<String>,
    /// The cloud to use. If specified, overrides the "resources.cloud" config. Passing "none" resets the config.
    #[arg(
        verbatim_doc_comment,
        long,
        value_name = "TEXT",
        hide = true,
        allow_hyphen_values = true
    )]
    pub cloud: Option<String>,
    /// The region to use. If specified, overrides the "resources.region" config. Passing "none" resets the config.
    #[arg(
        verbatim_doc_comment,
        long,
        value_name = "TEXT",
        hide = true,
        allow_hyphen_values = true
    )]
    pub region: Option<String>,
    /// The zone to use. If specified, overrides the "resources.zone" config. Passing "none" resets the config.
    #[arg(
        verbatim_doc_comment,
        long,
        value_name = "TEXT",
        hide = true,
        allow_hyphen_values = true
    )]
    pub zone: Option<String>,
    /// Number of nodes to execute the task on. Overrides the "num_nodes" config in the YAML if both are supplied.
    #[arg(verbatim_doc_comment, long, value_name = "INTEGER", value_parser = int, allow_hyphen_values = true)]
    pub num_nodes: Option<i64>,
    /// Number of vCPUs each instance must have (e.g., ``--cpus=4`` (exactly 4) or ``--cpus=4+`` (at least 4)). This is used to automatically select the instance type.
    #[arg(
        verbatim_doc_comment,
        long,
        value_name = "TEXT",
        allow_hyphen_values = true
    )]
    pub cpus: Option<String>,
    /// Amount of memory each instance must have in GB (e.g., ``--memory=16`` (exactly 16GB), ``--memory=16+`` (at least 16GB))
    #[arg(
        verbatim_doc_comment,
        long,
        value_name = "TEXT",
        allow_hyphen_values = true
    )]
    pub memory: Option<String>,
    /// OS disk size in GBs.
    #[arg(verbatim_doc_comment, long, value_name = "INTEGER", value_parser = int, allow_hyphen_values = true)]
    pub disk_size: Option<i64>,
    /// OS disk tier. Could be one of low, medium, high, ultra, best, none. If best is specified, use the best possible disk tier. If none is specified, enforce to use default value and override the option in task YAML. Default: medium
    #[arg(verbatim_doc_comment, long, value_name = "[low|medium|high|ultra|best|none]", value_parser = disk_tier, allow_hyphen_values = true)]
    pub disk_tier: Option<String>,
    /// Network tier. Could be one of standard, best. If best is specified, use the best network tier available on the specified instance. Default: standard
    #[arg(verbatim_doc_comment, long, value_name = "[standard|best]", value_parser = network_tier, allow_hyphen_values = true)]
    pub network_tier: Option<String>,
    /// Whether to request spot instances. If specified, overrides the "resources.use_spot" config.
    #[arg(
        verbatim_doc_comment,
        long = "use-spot",
        overrides_with = "no_use_spot"
    )]
    pub use_spot: bool,
    /// Do not request spot instances (overrides "resources.use_spot").
    #[arg(
        verbatim_doc_comment,
        long = "no-use-spot",
        overrides_with = "use_spot"
    )]
    pub no_use_spot: bool,
    /// Custom image id for launching the instances. Passing "none" resets the config.
    #[arg(
        verbatim_doc_comment,
        long,
        value_name = "TEXT",
        allow_hyphen_values = true
    )]
    pub image_id: Option<String>,
    /// Path to a dotenv file with environment variables to set on the remote node.
    ///
    /// If any values from ``--env-file`` conflict with values set by ``--env``, the ``--env`` value will be preferred.
    ///
    /// Values from ``--env-file`` will also load to secrets with lower preference compared to ``--secret`` or ``--secret-file``.
    #[arg(verbatim_doc_comment, long, value_name = "_PARSE_DOTENV_FILE", value_parser = click::dotenv_file, allow_hyphen_values = true)]
    pub env_file: Option<Dotenv>,
    /// Environment variable to set on the remote node. It can be specified multiple times. Examples:
    ///
    /// 1. ``--env MY_ENV=1``: set ``$MY_ENV`` on the cluster to be 1.
    ///
    /// 2. ``--env MY_ENV2=$HOME``: set ``$MY_ENV2`` on the cluster to be the same value of ``$HOME`` in the local environment where the CLI command is run.
    ///
    /// 3. ``--env MY_ENV3``: set ``$MY_ENV3`` on the cluster to be the same value of ``$MY_ENV3`` in the local environment.
    #[arg(verbatim_doc_comment, long, value_name = "_PARSE_ENV_VAR", value_parser = click::key_value, allow_hyphen_values = true)]
    pub env: Vec<(String, String)>,
    /// Path to a dotenv file with secret variables to set on the remote node.
    ///
    /// If any values from ``--secret-file`` conflict with values set by ``--secret``, the ``--secret`` value will be preferred.
    #[arg(verbatim_doc_comment, long, value_name = "_PARSE_DOTENV_FILE", value_parser = click::dotenv_file, allow_hyphen_values = true)]
    pub secret_file: Option<Dotenv>,
    /// Secret variable to set on the remote node. These variables will be redacted in logs and YAML outputs for security. It can be specified multiple times. Examples:
    ///
    /// 1. ``--secret API_KEY=secret123``: set ``$API_KEY`` on the cluster to be secret123.
    ///
    /// 2. ``--secret JWT_SECRET``: set ``$JWT_SECRET`` on the cluster to be the same value of ``$JWT_SECRET`` in the local environment.
    #[arg(verbatim_doc_comment, long, value_name = "_PARSE_SECRET_VAR", value_parser = click::key_value, allow_hyphen_values = true)]
    pub secret: Vec<(String, String)>,
    /// Local (instance) storage requirement. Format: [mode:]size[+] or mode. Mode is "nvme" (default) or "ssd". Size is total GB across all disks. If only mode specified, size defaults to 100+. If only size specified, mode defaults to nvme. Examples:
    ///
    /// 1. ``--local-disk nvme:1000+``: NVMe SSD with at least 1TB total.
    ///
    /// 2. ``--local-disk ssd:500``: SSD with exactly 500GB total.
    ///
    /// 3. ``--local-disk nvme``: Any NVMe instance (at least 100GB).
    ///
    /// 4. ``--local-disk 1000+``: NVMe (default) with at least 1TB.
    ///
    /// Note: Local storage is ephemeral and lost when the instance terminates.
    #[arg(
        verbatim_doc_comment,
        long,
        value_name = "TEXT",
        allow_hyphen_values = true
    )]
    pub local_disk: Option<String>,
}

/// SkyPilot's `EXTRA_RESOURCES_OPTIONS`.
#[derive(Args, Debug, Clone, Default)]
pub struct ResourceOptions {
    /// Type and number of GPUs to use. Example values: "V100:8", "V100" (short for a count of 1), or "V100:0.5" (fractional counts are supported by the scheduling framework). If a new cluster is being launched by this command, this is the resources to provision. If an existing cluster is being reused, this is seen as the task demand, which must fit the cluster's total resources and is used for scheduling the task. Overrides the "accelerators" config in the YAML if both are supplied. Passing "none" resets the config.
    #[arg(
        verbatim_doc_comment,
        long,
        value_name = "TEXT",
        allow_hyphen_values = true
    )]
    pub gpus: Option<String>,
    /// The instance type to use. If specified, overrides the "resources.instance_type" config. Passing "none" resets the config.
    #[arg(
        verbatim_doc_comment,
        long,
        short = 't',
        value_name = "TEXT",
        allow_hyphen_values = true
    )]
    pub instance_type: Option<String>,
    /// Ports to open on the cluster. Accepts a single port (``--ports 8080``), a range (``--ports 8000-8010``), or a comma-separated list (``--ports 8080,9090``). Repeat the flag to specify multiple values (``--ports 8080 --ports 9090-9100``). If specified, overrides the "ports" config in the YAML.
    #[arg(
        verbatim_doc_comment,
        long,
        value_name = "TEXT",
        allow_hyphen_values = true
    )]
    pub ports: Vec<String>,
}

/// `--config` (`flags.config_option`) and `--async/--no-async`.
#[derive(Args, Debug, Clone, Default)]
pub struct CommonOptions {
    /// Path to a config file or a single key-value pair. To add multiple key-value pairs add multiple flags (e.g. --config nested.key1=val1 --config nested.key2=val2).
    #[arg(
        verbatim_doc_comment,
        long,
        value_name = "TEXT",
        allow_hyphen_values = true
    )]
    pub config: Vec<String>,
    /// Run the command asynchronously.
    #[arg(verbatim_doc_comment, long = "async", overrides_with = "no_async")]
    pub async_call: bool,
    /// Run the command synchronously (the default).
    #[arg(verbatim_doc_comment, long = "no-async", overrides_with = "async_call")]
    pub no_async: bool,
}

impl TaskOptions {
    /// `--use-spot/--no-use-spot`: `None` when neither was given.
    pub fn use_spot(&self) -> Option<bool> {
        match (self.use_spot, self.no_use_spot) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        }
    }

    /// `_merge_cli_and_file_vars([env_file], env)`: `--env` wins, keys keep
    /// their first position.
    pub fn merged_envs(&self) -> Vec<(String, Option<String>)> {
        merge(&[self.env_file.as_ref()], &self.env)
    }

    /// `_merge_cli_and_file_vars([env_file, secret_file], secret)`.
    pub fn merged_secrets(&self) -> Vec<(String, Option<String>)> {
        merge(
            &[self.env_file.as_ref(), self.secret_file.as_ref()],
            &self.secret,
        )
    }

    /// Lines that python-dotenv could not parse, as it warns about them.
    pub fn dotenv_warnings(&self) -> Vec<String> {
        [&self.env_file, &self.secret_file]
            .into_iter()
            .flatten()
            .flat_map(|d| d.bad_lines.iter())
            .map(|l| {
                format!("WARNING:dotenv.main:python-dotenv could not parse statement starting at line {l}")
            })
            .collect()
    }
}

fn merge(files: &[Option<&Dotenv>], cli: &[(String, String)]) -> Vec<(String, Option<String>)> {
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    let mut put = |k: &str, v: Option<String>| match out.iter_mut().find(|(key, _)| key == k) {
        Some(slot) => slot.1 = v,
        None => out.push((k.to_string(), v)),
    };
    for file in files.iter().flatten() {
        for (k, v) in &file.values {
            put(k, v.clone());
        }
    }
    for (k, v) in cli {
        put(k, Some(v.clone()));
    }
    out
}
