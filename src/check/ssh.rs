//! `sky check ssh`: SkyPilot's SSH Node Pools report. A pool is enabled
//! once `sky ssh up` recorded its hosts; every pool of
//! `~/.sky/ssh_node_pools.yaml` is listed under `SSH Node Pools:` with its
//! state, as SkyPilot's `_format_context_details` prints it.

use std::path::PathBuf;

use crate::config::load::Env;
use crate::ssh_pools::{Inventory, file};

const DIM: &str = "\x1b[2m";
const GREEN: &str = "\x1b[32m";
const LIGHT_RED: &str = "\x1b[91m";
const RESET: &str = "\x1b[0m";

/// One pool's line in the report.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolLine {
    /// The pool's name.
    pub name: String,
    /// Whether it is up (`sky ssh up` ran) and allowed.
    pub enabled: bool,
    /// Left out by the config's `allowed_node_pools`.
    pub disallowed: bool,
}

/// The pools of the file, in file order, with their state.
pub fn pool_lines(env: &Env) -> Vec<PoolLine> {
    let path = env.on_disk(&env.expanduser(file::DEFAULT_PATH));
    let names = file::pool_names(&path);
    let up = up_pools(env);
    let allowed = crate::ssh_pools::allowed_node_pools(env);
    names
        .into_iter()
        .map(|name| {
            let disallowed = allowed.as_ref().is_some_and(|a| !a.contains(&name));
            PoolLine {
                enabled: up.contains(&name) && !disallowed,
                disallowed,
                name,
            }
        })
        .collect()
}

/// Pools `sky ssh up` recorded (none when the inventory does not exist).
pub fn up_pools(env: &Env) -> Vec<String> {
    let db: PathBuf = env.on_disk(&env.expanduser("~/.sky/ssh_node_pools_info/inventory.db"));
    if !db.exists() {
        return Vec::new();
    }
    Inventory::open_at(&db)
        .and_then(|inv| inv.pools())
        .unwrap_or_default()
}

/// `(ok, reason, details, summary)`: the compute check, the reason when
/// disabled, the `SSH Node Pools:` block of the cloud's line and the one of
/// the enabled-infra summary.
pub fn check(env: &Env) -> (bool, Option<String>, String, String) {
    let lines = pool_lines(env);
    if !lines.iter().any(|l| l.enabled) {
        let path = env.expanduser(file::DEFAULT_PATH);
        let reason =
            format!("No SSH Node Pools are up. Run `sky ssh up` to set up Node Pools from {path}.");
        return (false, Some(reason), String::new(), String::new());
    }
    (true, None, details(&lines, true), details(&lines, false))
}

fn details(lines: &[PoolLine], show_details: bool) -> String {
    let shown: Vec<&PoolLine> = lines.iter().filter(|l| show_details || l.enabled).collect();
    if shown.is_empty() {
        return String::new();
    }
    let mut out = String::from("\n    SSH Node Pools:");
    for (i, l) in shown.iter().enumerate() {
        let symbol = if i + 1 == shown.len() {
            "└── "
        } else {
            "├── "
        };
        let suffix = match (show_details, l.enabled) {
            (false, _) => String::new(),
            (true, true) => format!(": {GREEN}enabled.{RESET}"),
            (true, false) if l.disallowed => format!(
                ": {LIGHT_RED}disabled. {RESET}{DIM}Reason: Not included in allowed_node_pools \
                 configuration.{RESET}"
            ),
            (true, false) => format!(
                ": {LIGHT_RED}disabled. {RESET}{DIM}Reason: Not set up. Use `sky ssh up --infra {}` \
                 to set up.{RESET}",
                l.name
            ),
        };
        out.push_str(&format!("\n    {DIM}{symbol}{RESET}{}{suffix}", l.name));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_as_skypilot_formats_them() {
        let lines = vec![
            PoolLine {
                name: "a".into(),
                enabled: true,
                disallowed: false,
            },
            PoolLine {
                name: "b".into(),
                enabled: false,
                disallowed: false,
            },
        ];
        assert_eq!(
            details(&lines, true),
            "\n    SSH Node Pools:\n    \x1b[2m├── \x1b[0ma: \x1b[32menabled.\x1b[0m\n    \
             \x1b[2m└── \x1b[0mb: \x1b[91mdisabled. \x1b[0m\x1b[2mReason: Not set up. Use \
             `sky ssh up --infra b` to set up.\x1b[0m"
        );
        assert_eq!(
            details(&lines, false),
            "\n    SSH Node Pools:\n    \x1b[2m└── \x1b[0ma"
        );
    }

    #[test]
    fn allowed_node_pools_leaves_pools_out() {
        let config = |text: &str| match crate::yaml::load(text).unwrap() {
            crate::yaml::Value::Map(m) => m,
            _ => unreachable!(),
        };
        let global = config("ssh:\n  allowed_node_pools: [a]\n");
        assert_eq!(
            crate::ssh_pools::allowed_in(&global),
            Some(vec!["a".to_string()])
        );
        let workspace = config(
            "ssh:\n  allowed_node_pools: [a]\nactive_workspace: w\nworkspaces:\n  w:\n    \
             ssh:\n      allowed_node_pools: [b]\n",
        );
        assert_eq!(
            crate::ssh_pools::allowed_in(&workspace),
            Some(vec!["b".to_string()])
        );
        assert_eq!(crate::ssh_pools::allowed_in(&config("{}")), None);
        let lines = vec![PoolLine {
            name: "b".into(),
            enabled: false,
            disallowed: true,
        }];
        assert!(details(&lines, true).contains(
            "b: \x1b[91mdisabled. \x1b[0m\x1b[2mReason: Not included in allowed_node_pools \
             configuration."
        ));
    }
}
