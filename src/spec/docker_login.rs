//! Private registry logins from `SKYPILOT_DOCKER_*` envs or secrets, folded
//! into the resources' `_docker_login_config` as SkyPilot does.

use crate::error::{Error, Result};
use crate::spec::Resources;
use crate::yaml::{Map, Value};

/// Only RunPod reads it: the user name for its docker registry.
const RUNPOD_USERNAME: &str = "SKYPILOT_RUNPOD_DOCKER_USERNAME";

const KEYS: [&str; 3] = [
    "SKYPILOT_DOCKER_PASSWORD",
    "SKYPILOT_DOCKER_SERVER",
    "SKYPILOT_DOCKER_USERNAME",
];

fn list(keys: &[&str]) -> String {
    format!(
        "[{}]",
        keys.iter()
            .map(|k| format!("'{k}'"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// `_check_docker_login_config`: all three in envs or all in secrets.
pub fn check(envs: &Map, secrets: &Map) -> Result<bool> {
    let in_envs: Vec<&str> = KEYS.iter().copied().filter(|k| envs.contains(k)).collect();
    let in_secrets: Vec<&str> = KEYS
        .iter()
        .copied()
        .filter(|k| secrets.contains(k))
        .collect();
    if in_envs.is_empty() && in_secrets.is_empty() {
        return Ok(false);
    }
    if !in_envs.is_empty() && !in_secrets.is_empty() {
        return Err(Error::value(format!(
            "Docker login variables must be specified together either in envs OR secrets, not split across both. \
             Found in envs: {}, Found in secrets: {}",
            list(&in_envs),
            list(&in_secrets)
        )));
    }
    for (found, place) in [(&in_envs, "envs"), (&in_secrets, "secrets")] {
        if !found.is_empty() && found.len() != KEYS.len() {
            let missing: Vec<&str> = KEYS
                .iter()
                .copied()
                .filter(|k| !found.contains(k))
                .collect();
            return Err(Error::value(format!(
                "Docker login variables must be specified together in {place}. Missing from {place}: {}",
                list(&missing)
            )));
        }
    }
    Ok(true)
}

/// Whether `r` names a docker image (`extract_docker_image() is not None`).
pub fn has_docker_image(r: &Resources) -> bool {
    r.docker_image.is_some()
        || r.image_id
            .as_ref()
            .is_some_and(|ids| ids.len() == 1 && ids.0[0].1.py_str().starts_with("docker:"))
}

/// `_with_docker_login_config` then `_with_docker_username_for_runpod`:
/// adds the login to resources with a docker image, and RunPod's docker
/// user name (secrets win over envs) to every resource.
pub fn apply(resources: &mut [Resources], envs: &Map, secrets: &Map) -> Result<()> {
    let runpod = secrets
        .get(RUNPOD_USERNAME)
        .or_else(|| envs.get(RUNPOD_USERNAME))
        .filter(|v| !v.is_null())
        .map(Value::py_str);
    if let Some(user) = runpod {
        for r in resources.iter_mut() {
            r.docker_username_for_runpod = Some(user.clone());
        }
    }
    if !check(envs, secrets)? {
        return Ok(());
    }
    let get = |k: &str| {
        envs.get(k)
            .or_else(|| secrets.get(k))
            .map(Value::py_str)
            .unwrap_or_default()
    };
    let mut login = Map::new();
    login.insert("username", get("SKYPILOT_DOCKER_USERNAME"));
    login.insert("password", get("SKYPILOT_DOCKER_PASSWORD"));
    login.insert("server", get("SKYPILOT_DOCKER_SERVER"));
    for r in resources.iter_mut().filter(|r| has_docker_image(r)) {
        r.docker_login_config = Some(login.clone());
    }
    Ok(())
}
