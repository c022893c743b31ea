//! Downloading catalog files: SkyPilot's URLs and a small HTTP trait, so
//! tests run offline with a fake and the real client is a cargo feature.

use std::sync::Arc;

/// `constants.HOSTED_CATALOG_DIR_URL`.
pub const HOSTED_URL: &str =
    "https://raw.githubusercontent.com/skypilot-org/skypilot-catalog/master/catalogs";
/// `constants.HOSTED_CATALOG_DIR_URL_S3_MIRROR`, tried when GitHub answers 429.
pub const S3_MIRROR_URL: &str = "https://skypilot-catalog.s3.us-east-1.amazonaws.com/catalogs";
/// The `User-Agent` SkyPilot sends for catalog downloads.
pub const USER_AGENT: &str = "SkyPilot/0.7";

/// The primary and the fallback URL of `filename` (e.g. `aws/vms.csv`).
pub fn urls(filename: &str) -> (String, String) {
    let v = super::SCHEMA_VERSION;
    (
        format!("{HOSTED_URL}/{v}/{filename}"),
        format!("{S3_MIRROR_URL}/{v}/{filename}"),
    )
}

/// An HTTP answer: the status code and the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The HTTP status code.
    pub status: u16,
    /// The body bytes.
    pub body: Vec<u8>,
}

/// A GET with a `User-Agent` header. `Err` is a transport failure (no
/// connection, DNS, TLS), worded for the user.
pub trait Fetch: Send + Sync {
    /// Fetches `url`.
    fn get(&self, url: &str, user_agent: &str) -> Result<Response, String>;
}

/// The fetcher used when stix is built without the `fetch` feature: every
/// download fails, so only cached catalogs are used.
#[derive(Debug, Default, Clone, Copy)]
pub struct Offline;

impl Fetch for Offline {
    fn get(&self, url: &str, _user_agent: &str) -> Result<Response, String> {
        Err(format!(
            "Cannot download {url}: this stix build has no HTTP client (cargo feature `fetch`)."
        ))
    }
}

/// Turns catalog downloads off (`1`): tests, air-gapped machines.
pub const OFFLINE_ENV: &str = "STIX_CATALOG_OFFLINE";

/// The fetcher when [`OFFLINE_ENV`] is set: every download fails at once.
#[derive(Debug, Default, Clone, Copy)]
pub struct TurnedOff;

impl Fetch for TurnedOff {
    fn get(&self, url: &str, _user_agent: &str) -> Result<Response, String> {
        Err(format!(
            "Cannot download {url}: catalog downloads are turned off ({OFFLINE_ENV} is set)."
        ))
    }
}

/// The process's real fetcher: HTTP when built with `fetch`, else [`Offline`];
/// [`TurnedOff`] when [`OFFLINE_ENV`] says so.
pub fn default_fetcher() -> Arc<dyn Fetch> {
    if std::env::var(OFFLINE_ENV).is_ok_and(|v| !v.is_empty() && v != "0") {
        return Arc::new(TurnedOff);
    }
    #[cfg(feature = "fetch")]
    {
        Arc::new(http::Http)
    }
    #[cfg(not(feature = "fetch"))]
    {
        Arc::new(Offline)
    }
}

#[cfg(feature = "fetch")]
mod http {
    use super::{Fetch, Response};

    /// reqwest's blocking client over rustls, like `requests.get`.
    pub struct Http;

    /// The error with its causes (`... : dns error: ...`), so an offline
    /// failure says why.
    fn chain(e: &dyn std::error::Error) -> String {
        let mut text = e.to_string();
        let mut cause = e.source();
        while let Some(c) = cause {
            text.push_str(&format!(": {c}"));
            cause = c.source();
        }
        text
    }

    impl Fetch for Http {
        fn get(&self, url: &str, user_agent: &str) -> Result<Response, String> {
            // Offline, a download must fail in seconds, not hang: a
            // bounded connect, and a bound on the whole (large) file.
            let client = reqwest::blocking::Client::builder()
                .user_agent(user_agent)
                .connect_timeout(std::time::Duration::from_secs(5))
                .timeout(std::time::Duration::from_secs(120))
                .build()
                .map_err(|e| e.to_string())?;
            let resp = client.get(url).send().map_err(|e| chain(&e))?;
            let status = resp.status().as_u16();
            let body = resp.bytes().map_err(|e| e.to_string())?.to_vec();
            Ok(Response { status, body })
        }
    }
}
