//! The EC2/STS clients behind the AWS provisioner and `sky check aws`:
//! credentials and region through aws-config (environment, `~/.aws`
//! profiles, SSO, IMDS), the standard `AWS_ENDPOINT_URL` honoured (how tests
//! reach moto), the shared tokio runtime driving the async SDK from the sync
//! [`Provisioner`](super::Provisioner) calls, and AWS error codes mapped to
//! stix's error kinds the way SkyPilot's failover reads them.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use aws_config::BehaviorVersion;
use aws_config::meta::region::RegionProviderChain;
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};

use crate::error::{Error, ErrorKind, Result};

static API_NANOS: AtomicU64 = AtomicU64::new(0);
static API_CALLS: AtomicU64 = AtomicU64::new(0);

/// Time spent waiting on AWS API calls by this process, and how many calls
/// were made (for the launch-overhead benchmark: wall time minus this).
pub fn api_time() -> (std::time::Duration, u64) {
    (
        std::time::Duration::from_nanos(API_NANOS.load(Ordering::Relaxed)),
        API_CALLS.load(Ordering::Relaxed),
    )
}

/// Counts `d` (polling for an instance state) as time waiting on AWS.
pub fn note_wait(d: std::time::Duration) {
    API_NANOS.fetch_add(d.as_nanos() as u64, Ordering::Relaxed);
}

/// Runs one SDK future to completion on the process's AWS runtime. One
/// runtime for the process (not the SSH runner's per-thread ones): the
/// cached SDK clients keep connection pools whose tasks live on it.
pub fn block_on<F: Future>(f: F) -> Result<F::Output> {
    static RUNTIME: std::sync::OnceLock<std::result::Result<tokio::runtime::Runtime, String>> =
        std::sync::OnceLock::new();
    let rt = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("stix-aws")
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
    });
    match rt {
        Ok(rt) => Ok(rt.block_on(f)),
        Err(e) => Err(Error::new(
            ErrorKind::Os,
            format!("Failed to start the AWS runtime: {e}"),
        )),
    }
}

/// The SDK config for `region` (`None`: the profile's or environment's
/// region, else `us-east-1`), cached per region for the process.
pub fn sdk_config(region: Option<&str>) -> Result<aws_config::SdkConfig> {
    static CACHE: OnceLock<Mutex<HashMap<String, aws_config::SdkConfig>>> = OnceLock::new();
    let key = region.unwrap_or("").to_string();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(c) = cache.lock().ok().and_then(|m| m.get(&key).cloned()) {
        return Ok(c);
    }
    let chain = match region {
        Some(r) => RegionProviderChain::first_try(aws_config::Region::new(r.to_string())),
        None => RegionProviderChain::default_provider(),
    }
    .or_else("us-east-1");
    // aws-config reads AWS_ENDPOINT_URL (and AWS_ENDPOINT_URL_EC2/_STS)
    // itself; nothing else points the clients elsewhere.
    let loader = aws_config::defaults(BehaviorVersion::latest()).region(chain);
    let config = block_on(loader.load())?;
    if let Ok(mut m) = cache.lock() {
        m.insert(key, config.clone());
    }
    Ok(config)
}

/// An EC2 client for `region`.
pub fn ec2(region: &str) -> Result<aws_sdk_ec2::Client> {
    Ok(aws_sdk_ec2::Client::new(&sdk_config(Some(region))?))
}

/// An EC2 client for `region` that does not retry: capacity errors come
/// back at once so the next zone is tried (SkyPilot's `max_attempts=0`).
pub fn ec2_fail_fast(region: &str) -> Result<aws_sdk_ec2::Client> {
    let conf = aws_sdk_ec2::config::Builder::from(&sdk_config(Some(region))?)
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .build();
    Ok(aws_sdk_ec2::Client::from_conf(conf))
}

/// An STS client (default region).
pub fn sts() -> Result<aws_sdk_sts::Client> {
    Ok(aws_sdk_sts::Client::new(&sdk_config(None)?))
}

/// AWS error codes that mean "no capacity / quota / not offered here": the
/// zone (or region) is blocked and the next candidate is tried.
const UNAVAILABLE_CODES: &[&str] = &[
    "InsufficientInstanceCapacity",
    "InsufficientHostCapacity",
    "InsufficientReservedInstanceCapacity",
    "InsufficientCapacity",
    "InstanceLimitExceeded",
    "VcpuLimitExceeded",
    "MaxSpotInstanceCountExceeded",
    "SpotMaxPriceTooLow",
    "Unsupported",
    "InsufficientFreeAddressesInSubnet",
];

/// Codes that mean the credentials are expired or wrong.
const CREDENTIAL_CODES: &[&str] = &[
    "ExpiredTokenException",
    "ExpiredToken",
    "RequestExpired",
    "InvalidClientTokenId",
    "InvalidClientToken",
    "AuthFailure",
];

/// Server-side codes worth retrying (SkyPilot's
/// `_ec2_call_with_retry_on_server_error`).
const RETRY_CODES: &[&str] = &[
    "RequestLimitExceeded",
    "ServerInternal",
    "ServiceUnavailable",
    "InternalError",
    "Unavailable",
];

/// An AWS failure: its code (when the service answered) and botocore's
/// wording of it.
#[derive(Debug, Clone)]
pub struct AwsError {
    /// The AWS error code (`InsufficientInstanceCapacity`), if any.
    pub code: Option<String>,
    /// `An error occurred (Code) when calling the Op operation: message`.
    pub message: String,
}

impl AwsError {
    /// Whether the call is worth retrying as it is.
    pub fn retryable(&self) -> bool {
        self.code
            .as_deref()
            .is_some_and(|c| RETRY_CODES.contains(&c))
    }

    /// Whether this is the AWS code `code`.
    pub fn is(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }
}

/// Describes an SDK failure of operation `op` as botocore does.
pub fn describe<E, R>(op: &str, e: &SdkError<E, R>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match e {
        SdkError::ServiceError(se) => {
            let err = se.err();
            let code = err.code().map(str::to_string);
            let message = format!(
                "An error occurred ({}) when calling the {op} operation: {}",
                code.as_deref().unwrap_or("Unknown"),
                err.message().unwrap_or_default()
            );
            AwsError { code, message }
        }
        other => {
            // Connection and credential-resolution failures: name the cause
            // chain, since the top-level Display is only "dispatch failure".
            let mut msg = other.to_string();
            let mut src = std::error::Error::source(other);
            while let Some(s) = src {
                msg.push_str(&format!(": {s}"));
                src = s.source();
            }
            AwsError {
                code: None,
                message: format!("Failed to call the {op} operation: {msg}"),
            }
        }
    }
}

/// Maps an AWS failure to stix's error kinds: capacity, quota and
/// unsupported-zone codes become `ResourcesUnavailable` (the failover loop
/// blocks the zone), everything else aborts the launch.
pub fn to_error(e: AwsError) -> Error {
    match e.code.as_deref() {
        Some(c) if UNAVAILABLE_CODES.contains(&c) => {
            Error::new(ErrorKind::ResourcesUnavailable, e.message)
        }
        Some(c) if CREDENTIAL_CODES.contains(&c) => Error::new(
            ErrorKind::NoCloudAccess,
            format!(
                "InvalidCloudCredentials: {}\nYour AWS credentials are invalid or expired; run `aws configure` or refresh them, then `sky check aws`.",
                e.message
            ),
        ),
        _ => Error::new(ErrorKind::Runtime, e.message),
    }
}

/// Runs `call` (an SDK request) with SkyPilot's retry on server-side
/// throttling and errors, and maps the final failure.
pub fn call<T, E, R, Fut>(op: &str, call: impl FnMut() -> Fut) -> Result<T>
where
    Fut: Future<Output = std::result::Result<T, SdkError<E, R>>>,
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    call_raw(op, call)?.map_err(to_error)
}

/// Like [`call`], but hands the described AWS error back to the caller for
/// codes it handles itself (`InvalidGroup.Duplicate`, ...).
pub fn call_raw<T, E, R, Fut>(
    op: &str,
    mut call: impl FnMut() -> Fut,
) -> Result<std::result::Result<T, AwsError>>
where
    Fut: Future<Output = std::result::Result<T, SdkError<E, R>>>,
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let mut delay = std::time::Duration::from_millis(200);
    for attempt in 1.. {
        let start = std::time::Instant::now();
        let result = block_on(call())?;
        API_NANOS.fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
        API_CALLS.fetch_add(1, Ordering::Relaxed);
        match result {
            Ok(v) => return Ok(Ok(v)),
            Err(e) => {
                let d = describe(op, &e);
                if d.retryable() && attempt < 6 {
                    std::thread::sleep(delay);
                    delay = (delay * 2).min(std::time::Duration::from_secs(5));
                    continue;
                }
                return Ok(Err(d));
            }
        }
    }
    unreachable!("the retry loop only ends by returning")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(code: &str) -> AwsError {
        AwsError {
            code: Some(code.into()),
            message: format!(
                "An error occurred ({code}) when calling the RunInstances operation: x"
            ),
        }
    }

    #[test]
    fn capacity_codes_are_unavailable() {
        for c in [
            "InsufficientInstanceCapacity",
            "InstanceLimitExceeded",
            "VcpuLimitExceeded",
            "Unsupported",
            "SpotMaxPriceTooLow",
        ] {
            assert_eq!(
                to_error(err(c)).kind,
                ErrorKind::ResourcesUnavailable,
                "{c}"
            );
        }
        assert_eq!(
            to_error(err("InvalidAMIID.NotFound")).kind,
            ErrorKind::Runtime
        );
        assert_eq!(to_error(err("AuthFailure")).kind, ErrorKind::NoCloudAccess);
        assert!(err("RequestLimitExceeded").retryable());
        assert!(!err("InsufficientInstanceCapacity").retryable());
    }
}
