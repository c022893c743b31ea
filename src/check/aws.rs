//! `sky check aws` with real credentials: aws-config resolves them (env,
//! `~/.aws/credentials` and `config` profiles, SSO, credential_process,
//! assume-role, IMDS) and STS `GetCallerIdentity` validates them, with
//! SkyPilot's reasons and hints (`AWS._check_credentials_exist`). The
//! standard `AWS_ENDPOINT_URL` is honoured by aws-config.

use aws_credential_types::credential_feature::AwsCredentialFeature as F;
use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_sts::error::SdkError;

use crate::config::load::Env;
use crate::provision::aws_client::{block_on, describe, sdk_config, sts};

const INDENT: &str = "    ";

/// SkyPilot's `_STATIC_CREDENTIAL_HELP_STR`.
fn help() -> String {
    format!(
        "Run the following commands:\n{INDENT}  $ aws configure\n{INDENT}  $ aws configure list  # Ensure that this shows identity is set.\n{INDENT}For more info: https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-quickstart.html"
    )
}

const SINGLE_CLOUD_HINT: &str = " It will work if you use AWS only, but will cause problems if you want to use multiple clouds. To set up static credentials, try: aws configure";

/// Where the credentials came from (SkyPilot's `AWSIdentityType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityType {
    /// `~/.aws/credentials` or a profile's static keys.
    SharedCredentialsFile,
    /// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`.
    Env,
    /// AWS SSO.
    Sso,
    /// An EC2 instance role.
    IamRole,
    /// An ECS container role.
    ContainerRole,
    /// `credential_process`.
    CustomProcess,
    /// A profile that assumes a role.
    AssumeRole,
    /// `aws login`.
    Login,
}

fn identity_type(features: &[F]) -> IdentityType {
    let has = |f: F| features.contains(&f);
    if has(F::CredentialsSso) || has(F::CredentialsProfileSso) {
        IdentityType::Sso
    } else if has(F::CredentialsStsAssumeRole) || has(F::CredentialsStsAssumeRoleWebId) {
        IdentityType::AssumeRole
    } else if has(F::CredentialsProcess) || has(F::CredentialsProfileProcess) {
        IdentityType::CustomProcess
    } else if has(F::CredentialsLogin) || has(F::CredentialsProfileLogin) {
        IdentityType::Login
    } else if has(F::CredentialsImds) {
        IdentityType::IamRole
    } else if has(F::CredentialsHttp) {
        IdentityType::ContainerRole
    } else if has(F::CredentialsEnvVars) {
        IdentityType::Env
    } else {
        IdentityType::SharedCredentialsFile
    }
}

/// SkyPilot's `_get_credentials_path` (it reads `AWS_CONFIG_FILE`).
fn credentials_path(env: &Env) -> String {
    env.var("AWS_CONFIG_FILE")
        .unwrap_or_else(|| "~/.aws/credentials".to_string())
}

/// SkyPilot's reason when STS at `url` cannot be reached.
pub fn unreachable(url: &str) -> String {
    format!(
        "Failed to get AWS user.\n  Reason: [botocore.exceptions.EndpointConnectionError] Could not connect to the endpoint URL: \"{url}\"."
    )
}

/// `(ok, reason or hint)` for AWS, as `sky check aws` reports it.
pub fn check(env: &Env) -> (bool, Option<String>) {
    let not_set = |detail: &str| {
        format!(
            "AWS credentials are not set. {}\n{INDENT}Details: `aws sts get-caller-identity` failed with error: {detail}.",
            help()
        )
    };
    let config = match sdk_config(None) {
        Ok(c) => c,
        Err(e) => {
            return (
                false,
                Some(format!("Failed to get AWS user.\n  Reason: {e}.")),
            );
        }
    };
    let Some(provider) = config.credentials_provider() else {
        return (
            false,
            Some(not_set(
                "[botocore.exceptions.NoCredentialsError] Unable to locate credentials",
            )),
        );
    };
    let creds = match block_on(provider.provide_credentials()) {
        Ok(Ok(c)) => c,
        Ok(Err(CredentialsError::CredentialsNotLoaded(_))) => {
            return (
                false,
                Some(not_set(
                    "[botocore.exceptions.NoCredentialsError] Unable to locate credentials",
                )),
            );
        }
        Ok(Err(e)) => {
            let mut msg = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                msg.push_str(&format!(": {s}"));
                src = s.source();
            }
            return (
                false,
                Some(format!("Failed to get AWS user.\n  Reason: {msg}.")),
            );
        }
        Err(e) => return (false, Some(e.message)),
    };
    let kind = identity_type(
        creds
            .get_property::<Vec<F>>()
            .map(Vec::as_slice)
            .unwrap_or(&[]),
    );
    let client = match sts() {
        Ok(c) => c,
        Err(e) => return (false, Some(e.message)),
    };
    match block_on(client.get_caller_identity().send()) {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => {
            let d = describe("GetCallerIdentity", &e);
            let reason = match d.code {
                Some(_) => format!(
                    "Failed to access AWS services with credentials. Make sure that the access and secret keys are correct. {}\n{INDENT}Details: `aws sts get-caller-identity` failed with error: [botocore.exceptions.ClientError] {}.",
                    help(),
                    d.message
                ),
                // botocore's wording for an endpoint it cannot reach.
                None if matches!(e, SdkError::DispatchFailure(_) | SdkError::TimeoutError(_)) => {
                    let url = std::env::var("AWS_ENDPOINT_URL_STS")
                        .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
                        .map(|u| format!("{}/", u.trim_end_matches('/')))
                        .unwrap_or_else(|_| "https://sts.amazonaws.com/".into());
                    unreachable(&url)
                }
                None => format!("Failed to get AWS user.\n  Reason: {}.", d.message),
            };
            return (false, Some(reason));
        }
        Err(e) => return (false, Some(e.message)),
    }
    let hint = match kind {
        IdentityType::Sso => {
            let mut h = "AWS SSO is set.".to_string();
            if env.exists(&env.expanduser(&credentials_path(env))) {
                h.push_str(" To ensure S3 mounting and other features work correctly on Kubernetes and other clouds, please use SkyPilot with static AWS credentials (e.g., ~/.aws/credentials) by unsetting the AWS_PROFILE environment variable.");
            } else {
                h.push_str(SINGLE_CLOUD_HINT);
            }
            Some(h)
        }
        IdentityType::IamRole => Some(format!("AWS IAM role is set.{SINGLE_CLOUD_HINT}")),
        IdentityType::ContainerRole => {
            Some(format!("AWS container-role is set.{SINGLE_CLOUD_HINT}"))
        }
        IdentityType::CustomProcess => {
            Some(format!("AWS custom-process is set.{SINGLE_CLOUD_HINT}"))
        }
        IdentityType::AssumeRole => Some(format!("AWS assume-role is set.{SINGLE_CLOUD_HINT}")),
        IdentityType::Env => Some(format!("AWS env is set.{SINGLE_CLOUD_HINT}")),
        IdentityType::Login => Some(format!("AWS login is set.{SINGLE_CLOUD_HINT}")),
        IdentityType::SharedCredentialsFile => {
            let path = credentials_path(env);
            if !env.exists(&env.expanduser(&path)) {
                return (false, Some(format!("{path} does not exist. {}", help())));
            }
            None
        }
    };
    (true, hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_types() {
        assert_eq!(identity_type(&[F::CredentialsEnvVars]), IdentityType::Env);
        assert_eq!(
            identity_type(&[F::CredentialsProfile]),
            IdentityType::SharedCredentialsFile
        );
        assert_eq!(
            identity_type(&[F::CredentialsProfile, F::CredentialsSso]),
            IdentityType::Sso
        );
        assert_eq!(identity_type(&[F::CredentialsImds]), IdentityType::IamRole);
        assert_eq!(identity_type(&[]), IdentityType::SharedCredentialsFile);
    }

    #[test]
    fn unreachable_matches_skypilot() {
        let fixture: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/fixtures/aws/check.json")).unwrap();
        assert_eq!(
            Some(unreachable("https://sts.amazonaws.com/").as_str()),
            fixture["sts_unreachable"][1].as_str()
        );
    }
}
