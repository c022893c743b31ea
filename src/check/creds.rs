//! Where each cloud keeps its credentials (files, environment variables,
//! profiles), as SkyPilot's `check_credentials` looks for them, and the
//! reason SkyPilot gives when they are missing. stix checks presence
//! locally; clouds whose keys SkyPilot verifies with an API call get a
//! fast reachability probe instead, which fails quickly offline.

use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use crate::config::load::Env;

/// SkyPilot's check capabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    /// `compute`.
    Compute,
    /// `storage`.
    Storage,
}

impl Capability {
    /// The name SkyPilot prints.
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::Compute => "compute",
            Capability::Storage => "storage",
        }
    }
}

/// How one cloud is checked.
pub struct Rule {
    /// `repr(cloud)` (`AWS`, `Lambda`) as `sky check` prints it.
    pub repr: &'static str,
    /// Its capabilities.
    pub capabilities: &'static [Capability],
    /// Environment variables that, all set, are credentials enough.
    pub env: &'static [&'static str],
    /// Files (under `~`) any of which holds credentials.
    pub files: &'static [&'static str],
    /// The reason printed when none is found (`{home}` is `~`'s path).
    pub missing: &'static str,
    /// The API host SkyPilot calls to verify the key, if any.
    pub api_host: Option<&'static str>,
    /// Whether stix can plan and launch on this cloud.
    pub supported: bool,
}

const C: &[Capability] = &[Capability::Compute];
const CS: &[Capability] = &[Capability::Compute, Capability::Storage];
const S: &[Capability] = &[Capability::Storage];

/// Every infra `sky check` reports on, in SkyPilot's registry and
/// storage-only order (`sky check` prints them sorted).
pub static RULES: &[Rule] = &[
    Rule {
        repr: "AWS",
        capabilities: CS,
        env: &["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"],
        files: &["~/.aws/credentials", "~/.aws/config"],
        missing: "AWS credentials are not set. Run the following commands:\n      $ aws configure\n      $ aws configure list  # Ensure that this shows identity is set.\n    For more info: https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-quickstart.html\n    Details: `aws sts get-caller-identity` failed with error: [botocore.exceptions.NoCredentialsError] Unable to locate credentials.",
        api_host: None,
        supported: true,
    },
    Rule {
        repr: "Azure",
        capabilities: CS,
        env: &[],
        files: &["~/.azure/msal_token_cache.json"],
        missing: "~/.azure/msal_token_cache.json does not exist. Run the following commands:\n      $ az login\n      $ az account set -s <subscription_id>\n    For more info: https://docs.microsoft.com/en-us/cli/azure/get-started-with-azure-cli",
        api_host: None,
        supported: false,
    },
    Rule {
        repr: "Cloudflare",
        capabilities: CS,
        env: &[],
        files: &["~/.cloudflare/r2.credentials"],
        missing: "[r2] profile is not set in ~/.cloudflare/r2.credentials. Additionally, Account ID from R2 dashboard is not set. Run the following commands:\n      $ pip install boto3\n      $ AWS_SHARED_CREDENTIALS_FILE=~/.cloudflare/r2.credentials aws configure --profile r2\n      $ mkdir -p ~/.cloudflare\n      $ echo <YOUR_ACCOUNT_ID_HERE> > ~/.cloudflare/accountid\n    For more info: https://docs.skypilot.co/en/latest/getting-started/installation.html#cloudflare-r2",
        api_host: None,
        supported: false,
    },
    Rule {
        repr: "CoreWeave",
        capabilities: S,
        env: &[],
        files: &["~/.coreweave/cw.credentials"],
        missing: "[cw] profile is not set in ~/.coreweave/cw.credentials. Additionally, [cw] profile is not set in ~/.coreweave/cw.config. Run the following commands:\n      $ pip install boto3\n      $ AWS_SHARED_CREDENTIALS_FILE=~/.coreweave/cw.credentials aws configure --profile cw\n      $ AWS_CONFIG_FILE=~/.coreweave/cw.config aws configure set endpoint_url <ENDPOINT_URL> --profile cw\n      $ AWS_CONFIG_FILE=~/.coreweave/cw.config aws configure set s3.addressing_style virtual --profile cw\n    For more info: https://docs.coreweave.com/docs/products/storage/object-storage/get-started-caios",
        api_host: None,
        supported: false,
    },
    Rule {
        repr: "Cudo",
        capabilities: C,
        env: &[],
        files: &["~/.config/cudo/cudo.yml"],
        missing: "Cudo credentials are not set. Run the following commands:\n      $ pip install cudo-compute\n      $ cudoctl init\n    For more info: https://docs.skypilot.co/en/latest/getting-started/installation.html#cudo-compute",
        api_host: Some("rest.compute.cudo.org"),
        supported: true,
    },
    Rule {
        repr: "DO",
        capabilities: C,
        env: &[],
        files: &["~/.config/doctl/config.yaml"],
        missing: "no DigitalOcean credentials found at ~/.config/doctl/config.yaml",
        api_host: None,
        supported: false,
    },
    Rule {
        repr: "Fluidstack",
        capabilities: C,
        env: &[],
        files: &["~/.fluidstack/api_key"],
        missing: "Failed to access FluidStack Cloud with credentials. To configure credentials, go to:\n      https://dashboard.fluidstack.io \n    to obtain an API key, then add save the contents to ~/.fluidstack/api_key",
        api_host: None,
        supported: false,
    },
    Rule {
        repr: "GCP",
        capabilities: CS,
        env: &["GOOGLE_APPLICATION_CREDENTIALS"],
        files: &["~/.config/gcloud/application_default_credentials.json"],
        missing: "GCP credentials are not set. Run the following commands:\n      $ gcloud init\n      $ gcloud auth application-default login\n    For more info: https://docs.skypilot.co/en/latest/getting-started/installation.html#google-cloud-platform-gcp",
        api_host: None,
        supported: true,
    },
    Rule {
        repr: "HuggingFace",
        capabilities: S,
        env: &["HF_TOKEN"],
        files: &["~/.cache/huggingface/token"],
        missing: "Hugging Face token not found.",
        api_host: None,
        supported: false,
    },
    Rule {
        repr: "Hyperbolic",
        capabilities: C,
        env: &[],
        files: &["~/.hyperbolic/api_key"],
        missing: "API key not found at {home}/.hyperbolic/api_key",
        api_host: None,
        supported: true,
    },
    Rule {
        repr: "IBM",
        capabilities: CS,
        env: &[],
        files: &["~/.ibm/credentials.yaml"],
        missing: "Missing credential file at {home}/.ibm/credentials.yaml.\n    Store your API key and Resource Group id in ~/.ibm/credentials.yaml in the following format:\n      iam_api_key: <IAM_API_KEY>\n      resource_group_id: <RESOURCE_GROUP_ID>",
        api_host: None,
        supported: false,
    },
    Rule {
        repr: "Kubernetes",
        capabilities: C,
        env: &[],
        files: &["~/.kube/config"],
        missing: "Credentials not found - check if ~/.kube/config exists.",
        api_host: None,
        supported: true,
    },
    Rule {
        repr: "Lambda",
        capabilities: C,
        env: &[],
        files: &["~/.lambda_cloud/lambda_keys"],
        missing: "Failed to access Lambda Cloud with credentials. To configure credentials, go to:\n      https://cloud.lambdalabs.com/api-keys\n    to generate API key and add the line\n      api_key = [YOUR API KEY]\n    to ~/.lambda_cloud/lambda_keys",
        api_host: Some("cloud.lambdalabs.com"),
        supported: true,
    },
    Rule {
        repr: "Mithril",
        capabilities: C,
        env: &["MITHRIL_API_KEY"],
        files: &["~/.config/mithril/config.yaml"],
        missing: "Mithril credentials not found at ~/.config/mithril/config.yaml.",
        api_host: Some("api.mithril.ai"),
        supported: true,
    },
    Rule {
        repr: "Nebius",
        capabilities: CS,
        env: &[],
        files: &[
            "~/.nebius/credentials.json",
            "~/.nebius/NEBIUS_IAM_TOKEN.txt",
        ],
        missing: "Credentials can be set up by running: \n      $ nebius iam get-access-token > ~/.nebius/NEBIUS_IAM_TOKEN.txt \n     or generate  ~/.nebius/credentials.json",
        api_host: Some("api.nebius.cloud"),
        supported: true,
    },
    Rule {
        repr: "OCI",
        capabilities: CS,
        env: &[],
        files: &["~/.oci/config"],
        missing: "`oci` is not configured: ~/.oci/config does not exist.",
        api_host: None,
        supported: false,
    },
    Rule {
        repr: "Paperspace",
        capabilities: C,
        env: &[],
        files: &["~/.paperspace/config.json"],
        missing: "Failed to access Paperspace Cloud with credentials.\n    To configure credentials, follow the instructions at: https://docs.skypilot.co/en/latest/getting-started/installation.html#paperspace\n    Generate API key and create a json at `~/.paperspace/config.json` with \n         {\"apiKey\": \"[YOUR API KEY]\"}\n    Reason: Credentials not found",
        api_host: None,
        supported: false,
    },
    Rule {
        repr: "PrimeIntellect",
        capabilities: C,
        env: &[],
        files: &["~/.prime/config.json"],
        missing: "~/.prime/config.json does not exist.",
        api_host: Some("api.primeintellect.ai"),
        supported: true,
    },
    Rule {
        repr: "RunPod",
        capabilities: C,
        env: &["RUNPOD_API_KEY"],
        files: &["~/.runpod/config.toml"],
        missing: "~/.runpod/config.toml does not exist. \n    Credentials can be set up by running: \n        $ pip install runpod \n        $ runpod config\n    For more information, see https://docs.skypilot.co/en/latest/getting-started/installation.html#runpod",
        api_host: Some("api.runpod.io"),
        supported: true,
    },
    Rule {
        repr: "SCP",
        capabilities: C,
        env: &[],
        files: &["~/.scp/scp_credential"],
        missing: "Failed to access SCP with credentials. To configure credentials, see: https://cloud.samsungsds.com/openapiguide\n    Generate API key and add the following line to ~/.scp/scp_credential:\n      access_key = [YOUR API ACCESS KEY]\n      secret_key = [YOUR API SECRET KEY]\n      project_id = [YOUR PROJECT ID]",
        api_host: None,
        supported: false,
    },
    Rule {
        repr: "SSH",
        capabilities: C,
        env: &[],
        files: &["~/.sky/ssh_node_pools.yaml"],
        missing: "No SSH Node Pools are up. Run `sky ssh up` to set up Node Pools from ~/.sky/ssh_node_pools.yaml.",
        api_host: None,
        supported: true,
    },
    Rule {
        repr: "Seeweb",
        capabilities: CS,
        env: &[],
        files: &["~/.seeweb_cloud/seeweb_keys"],
        missing: "Missing Seeweb API key file ~/.seeweb_cloud/seeweb_keys",
        api_host: Some("api.seeweb.it"),
        supported: true,
    },
    Rule {
        repr: "Shadeform",
        capabilities: CS,
        env: &[],
        files: &["~/.shadeform/api_key"],
        missing: "Shadeform API key not found. Please save your API key to {home}/.shadeform/api_key",
        api_host: None,
        supported: true,
    },
    Rule {
        repr: "Slurm",
        capabilities: C,
        env: &[],
        files: &["~/.slurm/config"],
        missing: "Slurm configuration file ~/.slurm/config does not exist.\n    For more info: https://docs.skypilot.co/en/latest/getting-started/installation.html#slurm-installation",
        api_host: None,
        supported: false,
    },
    Rule {
        repr: "Vast",
        capabilities: C,
        env: &[],
        files: &["~/.config/vastai/vast_api_key"],
        missing: "error \n    Credentials can be set up by running: \n        $ pip install vastai\n        $ mkdir -p ~/.config/vastai\n        $ echo [key] > ~/.config/vastai/vast_api_key\n    For more information, see https://docs.skypilot.co/en/latest/getting-started/installation.html#vast",
        api_host: Some("console.vast.ai"),
        supported: true,
    },
    Rule {
        repr: "VastData",
        capabilities: S,
        env: &[],
        files: &["~/.vastdata/vastdata.credentials"],
        missing: "[vastdata] profile is not set in ~/.vastdata/vastdata.credentials. Additionally, [vastdata] profile is not set in ~/.vastdata/vastdata.config. Run the following commands:\n      $ pip install \"skypilot[vastdata]\"\n      $ AWS_SHARED_CREDENTIALS_FILE=~/.vastdata/vastdata.credentials aws configure --profile vastdata\n      $ AWS_CONFIG_FILE=~/.vastdata/vastdata.config aws configure set endpoint_url <ENDPOINT_URL> --profile vastdata\n     For more information, see: https://docs.skypilot.co/en/latest/getting-started/installation.html#vastdata",
        api_host: None,
        supported: false,
    },
    Rule {
        repr: "Verda",
        capabilities: CS,
        env: &[],
        files: &["~/.verda/config.json"],
        missing: "Verda Cloud configuration not found. Please save your config.json as {home}/.verda/config.json\n    Credentials can be set up by:\n        $ mkdir -p ~/.verda\n        $ cat > ~/.verda/config.json << EOF\n        {\n          \"client_id\": \"your-client-id\",\n          \"client_secret\": \"your-client-secret\",\n          \"base_url\": \"https://api.verda.com/v1\",\n          \"default_region\": \"FIN-03\"\n        }\n        EOF",
        api_host: None,
        supported: false,
    },
    Rule {
        repr: "Yotta",
        capabilities: C,
        env: &[],
        files: &["~/.yotta/credentials"],
        missing: "Failed to access Yotta Cloud with credentials. To configure credentials, go to:\n      https://console.yottalabs.ai \n    to obtain an API key, then add save the contents to ~/.yotta/credentials",
        api_host: None,
        supported: false,
    },
    Rule {
        repr: "vSphere",
        capabilities: C,
        env: &[],
        files: &["~/.vsphere/credential.yaml"],
        missing: "vSphere credentials are not set: ~/.vsphere/credential.yaml does not exist.",
        api_host: None,
        supported: false,
    },
];

/// The rule of a cloud, by any spelling of its name.
pub fn rule(name: &str) -> Option<&'static Rule> {
    let lower = name.to_lowercase();
    let lower = match lower.as_str() {
        "k8s" => "kubernetes".to_string(),
        "digitalocean" => "do".to_string(),
        _ => lower,
    };
    RULES.iter().find(|r| r.repr.to_lowercase() == lower)
}

/// Whether `host:443` accepts a connection within two seconds.
fn reachable(host: &str) -> bool {
    let Ok(addrs) = (host, 443).to_socket_addrs() else {
        return false;
    };
    addrs
        .into_iter()
        .any(|a| TcpStream::connect_timeout(&a, Duration::from_secs(2)).is_ok())
}

/// Nebius Object Storage's reason when `[nebius]` is not a profile in
/// `~/.aws/credentials` (its storage check differs from compute's).
const NEBIUS_STORAGE_MISSING: &str = "[nebius] profile is not set in ~/.aws/credentials. Run the following commands:\n      $ pip install boto3\n      $ aws configure --profile nebius\n    For more info: https://docs.skypilot.co/en/latest/getting-started/installation.html#nebius";

/// `(ok, reason)` for one capability of one cloud: the cloud's check,
/// except where SkyPilot checks a capability on its own.
pub fn check_capability(env: &Env, rule: &Rule, cap: Capability) -> (bool, Option<String>) {
    if rule.repr == "Nebius" && cap == Capability::Storage {
        let creds =
            std::fs::read_to_string(env.expanduser("~/.aws/credentials")).unwrap_or_default();
        return if creds.lines().any(|l| l.trim() == "[nebius]") {
            (true, None)
        } else {
            (false, Some(NEBIUS_STORAGE_MISSING.to_string()))
        };
    }
    check(env, rule)
}

/// `(ok, reason)` for one cloud.
pub fn check(env: &Env, rule: &Rule) -> (bool, Option<String>) {
    let home = env.expanduser("~");
    let from_env = !rule.env.is_empty()
        && rule
            .env
            .iter()
            .all(|v| env.var(v).is_some_and(|s| !s.is_empty()));
    let from_file = rule.files.iter().any(|f| env.exists(&env.expanduser(f)));
    // Other sources aws-config resolves: a named profile, a container or
    // web-identity role.
    let aws_other = rule.repr == "AWS"
        && [
            "AWS_PROFILE",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
        ]
        .iter()
        .any(|v| env.var(v).is_some_and(|s| !s.is_empty()));
    if !(from_env || from_file || aws_other) {
        return (false, Some(rule.missing.replace("{home}", &home)));
    }
    if !rule.supported {
        return (
            false,
            Some(format!(
                "Credentials found, but stix does not provision on {} yet.",
                rule.repr
            )),
        );
    }
    #[cfg(feature = "aws")]
    if rule.repr == "AWS" {
        // Validated for real: aws-config resolves, STS answers.
        // `STIX_CHECK_OFFLINE=1` trusts the files; `=unreachable` answers
        // as SkyPilot does when STS cannot be reached.
        match env.var("STIX_CHECK_OFFLINE").as_deref() {
            None => return super::aws::check(env),
            Some("unreachable") => {
                return (
                    false,
                    Some(super::aws::unreachable("https://sts.amazonaws.com/")),
                );
            }
            Some(_) => {}
        }
    }
    if rule.repr == "Kubernetes" {
        return (
            false,
            Some("Credentials found, but stix cannot query Kubernetes clusters yet.".into()),
        );
    }
    // `STIX_CHECK_OFFLINE=1` trusts the files without a probe;
    // `=unreachable` answers every probe "offline" (tests, no network).
    let offline = env.var("STIX_CHECK_OFFLINE");
    if let Some(host) = rule.api_host
        && offline.as_deref() != Some("1")
        && (offline.as_deref() == Some("unreachable") || !reachable(host))
    {
        let reason = match rule.repr {
            // SkyPilot's own words where it has them.
            "Lambda" => "Failed to verify Lambda Cloud credentials. Check your network connection and try again.".to_string(),
            repr => format!(
                "Failed to verify {repr} credentials: cannot reach {host} (offline?). Check your network connection and try again."
            ),
        };
        return (false, Some(reason));
    }
    (true, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SkyPilot's reason when AWS has no credentials at all
    /// (tests/fixtures/aws/check.json).
    #[test]
    fn aws_missing_matches_skypilot() {
        let fixture: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/fixtures/aws/check.json")).unwrap();
        let dir = std::env::temp_dir().join(format!("stix-creds-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let env = Env::fixed(&[("HOME", dir.to_str().unwrap())], &dir);
        let (ok, reason) = check(&env, rule("aws").unwrap());
        assert!(!ok);
        assert_eq!(reason.as_deref(), fixture["no_credentials"][1].as_str());
        let _ = std::fs::remove_dir_all(dir);
    }
}
