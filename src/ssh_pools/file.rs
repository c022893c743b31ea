//! `~/.sky/ssh_node_pools.yaml`, SkyPilot 0.14.1's format: a mapping of
//! pool name -> `{hosts: [...], user, identity_file, password}`, where each
//! host is an address (or a `Host` alias of `~/.ssh/config`, which then
//! supplies user, key, port and any `ProxyJump`) or a mapping with `ip` and
//! its own `user` / `identity_file` / `password`. stix also reads two keys
//! SkyPilot ignores, `proxy_jump` and `port` (pool or host level), so a jump
//! host needs no `~/.ssh/config` entry. Errors name the file, the pool and
//! the host, worded as SkyPilot's `ValueError`s where SkyPilot has one.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::yaml::{Map, Value, YamlError};

/// The default pool file.
pub const DEFAULT_PATH: &str = "~/.sky/ssh_node_pools.yaml";

/// One host of a pool, with the pool's defaults applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolHost {
    /// Address or `~/.ssh/config` alias, as written.
    pub ip: String,
    /// Login user (empty: ssh's default or the alias's `User`).
    pub user: String,
    /// Private key (expanded), if any.
    pub identity_file: Option<PathBuf>,
    /// SSH port (stix extension; 22 unless set).
    pub port: u16,
    /// `ProxyJump` destination (stix extension), if any.
    pub proxy_jump: Option<String>,
    /// Whether `ip` is an alias of the user's `~/.ssh/config`, which then
    /// decides user, key and port (SkyPilot's `use_ssh_config`).
    pub use_ssh_config: bool,
    /// Whether a sudo password was given (stix never needs sudo; the
    /// password itself is never kept).
    #[serde(default)]
    pub has_password: bool,
}

/// One pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pool {
    /// The pool's name (`infra: ssh/<name>`).
    pub name: String,
    /// Its hosts, in file order; the first is the pool's head.
    pub hosts: Vec<PoolHost>,
}

/// The parsed file.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolFile {
    /// Where it was read from (as given, for messages).
    pub path: String,
    /// Pools in file order.
    pub pools: Vec<Pool>,
    /// Hosts skipped (SkyPilot warns and skips a host mapping without `ip`).
    pub warnings: Vec<String>,
}

/// Decides whether a host string is an alias of `~/.ssh/config`.
pub type SshConfigProbe<'a> = &'a dyn Fn(&str) -> bool;

/// The pool file's path: `~/.sky/ssh_node_pools.yaml` expanded.
pub fn default_path() -> PathBuf {
    PathBuf::from(crate::spec::task::expand_user(DEFAULT_PATH))
}

/// Pool names in file order, or nothing when the file is missing or
/// unreadable (SkyPilot's `get_ssh_node_pool_contexts` swallows errors).
pub fn pool_names(path: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    match crate::yaml::load(&text) {
        Ok(Value::Map(m)) => m.keys().map(Value::py_str).collect(),
        _ => Vec::new(),
    }
}

/// Reads and validates the pool file (`load_ssh_targets` +
/// `prepare_hosts_info` for every pool).
pub fn load(path: &Path, probe: SshConfigProbe<'_>) -> Result<PoolFile> {
    let shown = path.display().to_string();
    if !path.exists() {
        return Err(Error::value(format!(
            "SSH Node Pools file not found: {shown}"
        )));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::value(format!("Error loading SSH Node Pools file: {e}")))?;
    parse(&text, &shown, probe)
}

/// Parses pool-file text read from `path`.
pub fn parse(text: &str, path: &str, probe: SshConfigProbe<'_>) -> Result<PoolFile> {
    let doc = crate::yaml::load(text).map_err(|e| match e {
        YamlError::DuplicateKey { key, line, .. } => Error::value(format!(
            "Duplicate key found: {key}.\nPlease remove one of them from the YAML file. \
             ({path}, line {line})"
        )),
        other => Error::value(format!("Error loading SSH Node Pools file: {other}")),
    })?;
    let map = match doc {
        Value::Map(m) if !m.is_empty() => m,
        Value::Null => Map::new(),
        Value::Map(m) => m,
        other => {
            return Err(Error::value(format!(
                "SSH Node Pools file {path} must map pool names to pool settings, \
                 found a {}. See docs/ssh.md for the format.",
                other.py_type_name()
            )));
        }
    };
    if map.is_empty() {
        return Err(Error::value(format!(
            "No clusters defined in SSH Node Pools file {path}"
        )));
    }
    let mut file = PoolFile {
        path: path.to_string(),
        pools: Vec::new(),
        warnings: Vec::new(),
    };
    for (k, v) in map.iter() {
        let name = k.py_str();
        let pool = parse_pool(&name, v, path, probe, &mut file.warnings)?;
        file.pools.push(pool);
    }
    Ok(file)
}

impl PoolFile {
    /// The pools `--infra` names (all when `None`), as SkyPilot's
    /// `get_cluster_config`.
    pub fn select(&self, infra: Option<&str>) -> Result<Vec<&Pool>> {
        match infra {
            None => Ok(self.pools.iter().collect()),
            Some(name) => {
                let name = name.strip_prefix("ssh-").unwrap_or(name);
                let found = self.pools.iter().find(|p| p.name == name);
                found.map(|p| vec![p]).ok_or_else(|| {
                    Error::value(format!(
                        "Cluster {} not found in SSH Node Pools file {}",
                        crate::yaml::py_str_repr(name),
                        self.path
                    ))
                })
            }
        }
    }
}

fn where_(pool: &str, path: &str) -> String {
    format!("pool {pool:?} of {path}")
}

/// A string setting of a pool or host mapping (`None` when absent/null).
fn str_field(m: &Map, key: &str, at: &str) -> Result<Option<String>> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Str(s)) => Ok(Some(s.clone())),
        // PyYAML reads `user: 1000` as an int; SkyPilot uses it as is.
        Some(v @ (Value::Int(_) | Value::Bool(_) | Value::Float(_))) => Ok(Some(v.py_str())),
        Some(v) => Err(Error::value(format!(
            "`{key}` of {at} must be a string, found a {}.",
            v.py_type_name()
        ))),
    }
}

fn port_field(m: &Map, at: &str) -> Result<Option<u16>> {
    match m.get("port") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Int(i)) if (1..=65535).contains(i) => Ok(Some(*i as u16)),
        Some(v) => Err(Error::value(format!(
            "`port` of {at} must be a port number (1-65535), found {}.",
            v.py_repr()
        ))),
    }
}

/// The pool- or host-level settings that hosts inherit.
#[derive(Default, Clone)]
struct Defaults {
    user: String,
    identity_file: Option<PathBuf>,
    port: u16,
    proxy_jump: Option<String>,
    has_password: bool,
}

fn identity(raw: Option<String>, at: &str) -> Result<Option<PathBuf>> {
    let Some(raw) = raw.filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let p = PathBuf::from(crate::spec::task::expand_user(&raw));
    if !p.is_file() {
        return Err(Error::value(format!(
            "SSH Identity File Missing: {} (in {at}). Fix `identity_file` or create the key.",
            p.display()
        )));
    }
    Ok(Some(p))
}

fn settings(m: &Map, base: &Defaults, at: &str) -> Result<Defaults> {
    let password = str_field(m, "password", at)?;
    Ok(Defaults {
        user: str_field(m, "user", at)?.unwrap_or_else(|| base.user.clone()),
        identity_file: match str_field(m, "identity_file", at)? {
            Some(raw) => identity(Some(raw), at)?,
            None => base.identity_file.clone(),
        },
        port: port_field(m, at)?.unwrap_or(base.port),
        proxy_jump: str_field(m, "proxy_jump", at)?.or_else(|| base.proxy_jump.clone()),
        has_password: password.is_some_and(|p| !p.is_empty()) || base.has_password,
    })
}

fn parse_pool(
    name: &str,
    v: &Value,
    path: &str,
    probe: SshConfigProbe<'_>,
    warnings: &mut Vec<String>,
) -> Result<Pool> {
    let at = where_(name, path);
    let m = match v {
        Value::Map(m) => m,
        Value::Null => {
            return Err(Error::value(format!(
                "No hosts defined in cluster {name} configuration ({path})"
            )));
        }
        other => {
            return Err(Error::value(format!(
                "Pool {name:?} in {path} must be a mapping with `hosts:`, found a {}.",
                other.py_type_name()
            )));
        }
    };
    let hosts = match m.get("hosts") {
        Some(Value::Seq(items)) if !items.is_empty() => items,
        None | Some(Value::Null) | Some(Value::Seq(_)) => {
            return Err(Error::value(format!(
                "No hosts defined in cluster {name} configuration ({path})"
            )));
        }
        Some(other) => {
            return Err(Error::value(format!(
                "`hosts` of {at} must be a list, found a {}.",
                other.py_type_name()
            )));
        }
    };
    let base = settings(
        m,
        &Defaults {
            port: 22,
            ..Defaults::default()
        },
        &at,
    )?;
    let mut out = Vec::new();
    for (i, h) in hosts.iter().enumerate() {
        let host = match h {
            Value::Str(s) if !s.trim().is_empty() => {
                let ip = s.trim().to_string();
                host_from(ip, &base, probe)
            }
            Value::Map(hm) => {
                let host_at = format!("host {} of {at}", i + 1);
                let Some(ip) = str_field(hm, "ip", &host_at)?.filter(|s| !s.trim().is_empty())
                else {
                    // SkyPilot warns and skips such a host.
                    warnings.push(format!(
                        "Warning: Host missing'ip' field, skipping: {}",
                        h.py_repr()
                    ));
                    continue;
                };
                let host_at = format!("host {ip:?} of {at}");
                let own = settings(hm, &base, &host_at)?;
                host_from(ip.trim().to_string(), &own, probe)
            }
            other => {
                return Err(Error::value(format!(
                    "Host {} of {at} must be an address or a mapping with `ip`, found {}.",
                    i + 1,
                    other.py_repr()
                )));
            }
        };
        if out.iter().any(|x: &PoolHost| x.ip == host.ip) {
            return Err(Error::value(format!(
                "Host {:?} is listed twice in {at}. Remove one of the entries.",
                host.ip
            )));
        }
        out.push(host);
    }
    if out.is_empty() {
        return Err(Error::value(format!(
            "No hosts defined in cluster {name} configuration ({path})"
        )));
    }
    Ok(Pool {
        name: name.to_string(),
        hosts: out,
    })
}

fn host_from(ip: String, d: &Defaults, probe: SshConfigProbe<'_>) -> PoolHost {
    // An alias of ~/.ssh/config brings its own user and key (SkyPilot).
    let use_ssh_config = probe(&ip);
    PoolHost {
        user: if use_ssh_config {
            String::new()
        } else {
            d.user.clone()
        },
        identity_file: if use_ssh_config {
            None
        } else {
            d.identity_file.clone()
        },
        port: d.port,
        proxy_jump: d.proxy_jump.clone(),
        use_ssh_config,
        has_password: d.has_password,
        ip,
    }
}

/// SkyPilot's `check_host_in_ssh_config`: whether a `Host`/`Match` stanza
/// other than `Host *` of the user's OpenSSH config applies to `host`.
pub fn host_in_ssh_config(host: &str) -> bool {
    let out = std::process::Command::new("ssh")
        .args(["-vvG", host, "-o", "ConnectTimeout=0"])
        .stdin(std::process::Stdio::null())
        .output();
    let Ok(out) = out else { return false };
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    text.lines().any(|l| {
        l.starts_with("debug")
            && l.split_once("Applying options for ")
                .is_some_and(|(_, rest)| !rest.starts_with('*'))
    })
}

#[cfg(test)]
#[path = "file_tests.rs"]
mod tests;
