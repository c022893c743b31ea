//! Bucket URL helpers with SkyPilot's (and Python's `urllib.parse`)
//! semantics: which paths count as cloud URLs, and bucket names in them.

use crate::error::{Error, Result};
use crate::yaml::py_str_repr;

/// `urllib.parse.urlsplit(url)`'s scheme, netloc and path.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SplitUrl {
    /// Lower-cased scheme, or `""`.
    pub scheme: String,
    /// The authority after `//`, or `""`.
    pub netloc: String,
    /// Everything after the netloc up to `?` or `#`.
    pub path: String,
}

/// `urllib.parse.urlsplit` (Python 3.11): leading C0/space stripped, tabs
/// and newlines removed, `scheme:` only when it is a valid scheme.
pub fn urlsplit(url: &str) -> SplitUrl {
    let url: String = url
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\r' | '\n'))
        .collect();
    let mut rest = url.as_str();
    let mut scheme = String::new();
    if let Some(i) = rest.find(':') {
        let candidate = &rest[..i];
        let valid = candidate
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
            && candidate
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
        if valid {
            scheme = candidate.to_lowercase();
            rest = &rest[i + 1..];
        }
    }
    let mut netloc = String::new();
    if let Some(after) = rest.strip_prefix("//") {
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        netloc = after[..end].to_string();
        rest = &after[end..];
    }
    let end = rest.find(['?', '#']).unwrap_or(rest.len());
    SplitUrl {
        scheme,
        netloc,
        path: rest[..end].to_string(),
    }
}

/// `data_utils.is_cloud_store_url`: any URL with a network location.
pub fn is_cloud_store_url(url: &str) -> bool {
    !urlsplit(url).netloc.is_empty()
}

/// `data_utils.is_az_container_endpoint`.
pub fn is_az_container_endpoint(url: &str) -> bool {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r"^https://([a-z0-9]{3,24})\.blob\.core\.windows\.net(/[^/]+)+$")
            .unwrap_or_else(|e| panic!("azure regex: {e}"))
    })
    .is_match(url)
}

/// The container name of an Azure blob URL (`split_az_path(url)[1]`).
pub fn az_container_name(url: &str) -> String {
    let trimmed = url.replacen("https://", "", usize::MAX);
    trimmed.split('/').nth(1).unwrap_or_default().to_string()
}

/// `split_cos_path(url)`: `(region, bucket, data_path)` of `cos://r/b/...`.
pub fn split_cos_path(url: &str) -> Result<(String, String, String)> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r"^cos://([-\w]+)/([-\w]+)(.*)")
            .unwrap_or_else(|e| panic!("cos regex: {e}"))
    });
    re.captures(url)
        .map(|c| (c[1].to_string(), c[2].to_string(), c[3].to_string()))
        .ok_or_else(|| {
            Error::value(format!(
                "Bucket URI received: {url} does not match expected pattern of \
                 \"cos://region/bucket_name/optional_data_path\""
            ))
        })
}

/// Hugging Face URL prefix (`huggingface.HF_URL_PREFIX`).
pub const HF_URL_PREFIX: &str = "hf://";
/// Hugging Face Buckets prefix (`huggingface.HF_BUCKETS_URL_PREFIX`).
pub const HF_BUCKETS_URL_PREFIX: &str = "hf://buckets/";

/// `split_hf_path`: `(namespace/bucket, sub_path)` of a bucket URL.
pub fn split_hf_path(url: &str) -> Result<(String, String)> {
    let trimmed = url.strip_prefix(HF_BUCKETS_URL_PREFIX).unwrap_or(url);
    let parts: Vec<&str> = trimmed.splitn(3, '/').collect();
    if parts.len() < 2 || parts[0].is_empty() || parts[1].is_empty() {
        return Err(Error::value(format!(
            "Hugging Face bucket URL {} must be of the form \
             \"{HF_BUCKETS_URL_PREFIX}<namespace>/<bucket-name>[/<sub-path>]\".",
            py_str_repr(url)
        )));
    }
    Ok((
        format!("{}/{}", parts[0], parts[1]),
        parts.get(2).unwrap_or(&"").to_string(),
    ))
}

/// A repo URL's `hf-mount` id (`datasets/ns/x`, `spaces/ns/x` or `ns/x`)
/// and the path inside it (`split_hf_repo_path` + `hf_id_from_repo_parts`).
pub fn split_hf_repo_path(url: &str) -> Result<(String, String)> {
    let Some(mut body) = url.strip_prefix(HF_URL_PREFIX) else {
        return Err(Error::value(format!(
            "Hugging Face repo URL {} must start with \"{HF_URL_PREFIX}\".",
            py_str_repr(url)
        )));
    };
    let mut type_prefix = "";
    for p in ["datasets/", "spaces/"] {
        if let Some(b) = body.strip_prefix(p) {
            type_prefix = p;
            body = b;
            break;
        }
    }
    if type_prefix.is_empty() && body.starts_with("buckets/") {
        return Err(Error::value(format!(
            "{} is a bucket URL, not a repo URL.",
            py_str_repr(url)
        )));
    }
    let parts: Vec<&str> = body.splitn(3, '/').collect();
    if parts.len() < 2 || parts[0].is_empty() || parts[1].is_empty() {
        return Err(Error::value(format!(
            "Hugging Face repo URL {} must be of the form \
             \"hf://<ns>/<repo>[@<revision>][/<sub-path>]\" \
             (optionally prefixed with \"datasets/\" or \"spaces/\").",
            py_str_repr(url)
        )));
    }
    let name = parts[1].split('@').next().unwrap_or_default();
    if name.is_empty() {
        return Err(Error::value(format!(
            "Hugging Face repo URL {} has an empty repo name.",
            py_str_repr(url)
        )));
    }
    Ok((
        format!("{type_prefix}{}/{name}", parts[0]),
        parts.get(2).unwrap_or(&"").to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urlsplit_like_python() {
        assert_eq!(urlsplit("s3://b/k").netloc, "b");
        assert_eq!(urlsplit("s3://b/k").path, "/k");
        assert!(is_cloud_store_url("http://host/x"));
        assert!(is_cloud_store_url("//host/x"));
        assert!(!is_cloud_store_url("/tmp/x"));
        assert!(!is_cloud_store_url("~/x"));
        assert!(!is_cloud_store_url("c:/x"));
        assert_eq!(urlsplit("1a://x").scheme, "");
        assert_eq!(urlsplit("FTP://x/y?q#f").path, "/y");
    }

    #[test]
    fn bucket_names() {
        assert_eq!(
            split_cos_path("cos://us-east/b/x").ok(),
            Some(("us-east".into(), "b".into(), "/x".into()))
        );
        assert!(is_az_container_endpoint(
            "https://acct.blob.core.windows.net/c"
        ));
        assert_eq!(
            az_container_name("https://acct.blob.core.windows.net/c/d"),
            "c"
        );
        assert_eq!(
            split_hf_path("hf://buckets/ns/b/sub/x").ok(),
            Some(("ns/b".into(), "sub/x".into()))
        );
        assert_eq!(
            split_hf_repo_path("hf://datasets/ns/ds@v1/a").ok(),
            Some(("datasets/ns/ds".into(), "a".into()))
        );
        assert!(split_hf_repo_path("hf://buckets/ns/b").is_err());
    }
}
