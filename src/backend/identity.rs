//! Who is launching and what things are called: the user name and hash,
//! the run timestamp, generated cluster names and the cluster-name rule
//! (`common_utils` in SkyPilot).

use regex::Regex;

use crate::error::{Error, ErrorKind, Result};

/// `constants.CLUSTER_NAME_VALID_REGEX`.
pub const CLUSTER_NAME_VALID_REGEX: &str = "[a-zA-Z]([-_.a-zA-Z0-9]*[a-zA-Z0-9])?";
const USER_HASH_LENGTH: usize = 8;

/// `get_current_user_name`: `$SKYPILOT_USER`, else `getpass.getuser()`.
pub fn user_name() -> String {
    for key in ["SKYPILOT_USER", "LOGNAME", "USER", "LNAME", "USERNAME"] {
        if let Ok(v) = std::env::var(key)
            && !v.is_empty()
        {
            return v;
        }
    }
    // SAFETY: getpwuid returns a pointer into static storage or null.
    unsafe {
        let pw = libc::getpwuid(libc::getuid());
        if !pw.is_null() && !(*pw).pw_name.is_null() {
            return std::ffi::CStr::from_ptr((*pw).pw_name)
                .to_string_lossy()
                .into_owned();
        }
    }
    "unknown".into()
}

fn is_valid_user_hash(h: &str) -> bool {
    let mut chars = h.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// `get_user_hash`: `$SKYPILOT_USER_ID`, else `~/.sky/user_hash`, else a
/// new random one saved there.
pub fn user_hash() -> String {
    if let Ok(h) = std::env::var("SKYPILOT_USER_ID")
        && is_valid_user_hash(&h)
    {
        return h;
    }
    let path = crate::spec::task::expand_user("~/.sky/user_hash");
    if let Ok(h) = std::fs::read_to_string(&path) {
        let h = h.trim();
        if is_valid_user_hash(h) {
            return h.to_string();
        }
    }
    let h = crate::state::random_hex(USER_HASH_LENGTH);
    if let Some(dir) = std::path::Path::new(&path).parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let _ = std::fs::write(&path, &h);
    h
}

/// `get_cleaned_username`.
pub fn cleaned_username(name: &str) -> String {
    let lower = name.to_lowercase();
    let kept: String = lower
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '_')
        .collect();
    let trimmed = kept.trim_start_matches(|c: char| c.is_ascii_digit() || c == '-');
    let trimmed = trimmed.strip_suffix('-').unwrap_or(trimmed);
    trimmed.chars().take(63).collect()
}

/// `generate_cluster_name`: `sky-<4 hex>-<cleaned user name>`.
pub fn generate_cluster_name() -> String {
    format!(
        "sky-{}-{}",
        crate::state::random_hex(4),
        cleaned_username(&user_name())
    )
}

/// `check_cluster_name_is_valid`.
pub fn check_cluster_name(name: &str) -> Result<()> {
    let ok = Regex::new(&format!("^(?:{CLUSTER_NAME_VALID_REGEX})$"))
        .map(|re| re.is_match(name))
        .unwrap_or(false);
    if ok {
        return Ok(());
    }
    Err(Error::new(
        ErrorKind::InvalidClusterName,
        format!(
            "Cluster name \"{name}\" is invalid; ensure it is fully matched by regex (e.g., \
             only contains letters, numbers and dash): {CLUSTER_NAME_VALID_REGEX}"
        ),
    ))
}

/// The broken-down local time of `secs` (epoch seconds), as Python's
/// `datetime.now()` / logging's `asctime` see it.
pub fn local_tm(secs: u64) -> libc::tm {
    let secs = secs as libc::time_t;
    // SAFETY: localtime_r fills the struct we own.
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        libc::localtime_r(&secs, &mut tm);
        tm
    }
}

/// `sky_logging.get_run_timestamp`: `sky-YYYY-MM-DD-HH-MM-SS-ffffff`, local time.
pub fn run_timestamp() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let tm = local_tm(now.as_secs());
    format!(
        "sky-{:04}-{:02}-{:02}-{:02}-{:02}-{:02}-{:06}",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        now.subsec_micros()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(cleaned_username("1SkY-PiLot2-"), "sky-pilot2");
        assert!(check_cluster_name("my-cluster.1_a").is_ok());
        let e = check_cluster_name("1bad").unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidClusterName);
        assert!(check_cluster_name("bad-").is_err());
        let ts = run_timestamp();
        assert_eq!(ts.len(), "sky-2024-01-01-00-00-00-000000".len());
        assert!(generate_cluster_name().starts_with("sky-"));
    }
}
