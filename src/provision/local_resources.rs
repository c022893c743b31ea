//! What a `local` node offers: this machine's CPUs, memory and NVIDIA GPUs
//! (from `nvidia-smi` where present). `STIX_LOCAL_CPUS`,
//! `STIX_LOCAL_MEMORY_GB` and `STIX_LOCAL_ACCELERATORS` (`A100:2`) override
//! the detection, so GPU scheduling can be exercised on a machine without.

use std::process::{Command, Stdio};

use super::NodeResources;

/// Overrides the detected CPU count.
pub const CPUS_ENV: &str = "STIX_LOCAL_CPUS";
/// Overrides the detected memory (GiB).
pub const MEMORY_ENV: &str = "STIX_LOCAL_MEMORY_GB";
/// Overrides the detected accelerators (`NAME:COUNT`, or empty for none).
pub const ACCELERATORS_ENV: &str = "STIX_LOCAL_ACCELERATORS";

/// SkyPilot's accelerator names, longest match first, for `nvidia-smi`
/// product names such as `NVIDIA H100 80GB HBM3`.
const KNOWN_GPUS: &[&str] = &[
    "RTXA6000", "RTX6000", "RTX4090", "RTX3090", "A6000", "A5000", "A4000", "GH200", "H200",
    "H100", "B200", "B100", "L40S", "L40", "L4", "A10G", "A100", "A10", "A40", "A30", "A16", "T4",
    "V100", "P100", "P40", "P4", "K80", "M60",
];

/// Detects this machine's resources (overrides applied).
pub fn detect() -> NodeResources {
    let cpus = env_f64(CPUS_ENV)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1.0, |n| n.get() as f64));
    let memory_gb = env_f64(MEMORY_ENV).unwrap_or_else(memory_gb);
    let (accelerator, accelerator_count) = match std::env::var(ACCELERATORS_ENV) {
        Ok(spec) => parse_accelerators(&spec),
        Err(_) => {
            // Asked on every plan; the GPUs of a machine do not change.
            static GPUS: std::sync::OnceLock<(Option<String>, u32)> = std::sync::OnceLock::new();
            GPUS.get_or_init(nvidia_gpus).clone()
        }
    };
    NodeResources {
        cpus,
        memory_gb,
        accelerator,
        accelerator_count,
        gpu_indices: Vec::new(),
    }
}

fn env_f64(key: &str) -> Option<f64> {
    std::env::var(key).ok()?.trim().parse().ok()
}

fn parse_accelerators(spec: &str) -> (Option<String>, u32) {
    let spec = spec.trim();
    if spec.is_empty() {
        return (None, 0);
    }
    match spec.split_once(':') {
        Some((name, n)) => (Some(name.to_string()), n.trim().parse().unwrap_or(1)),
        None => (Some(spec.to_string()), 1),
    }
}

fn memory_gb() -> f64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| meminfo_gb(&t))
        .unwrap_or(0.0)
}

/// `MemTotal` of a `/proc/meminfo` text in GiB, one decimal.
pub fn meminfo_gb(text: &str) -> Option<f64> {
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some((kb / 1024.0 / 1024.0 * 10.0).round() / 10.0)
}

fn nvidia_gpus() -> (Option<String>, u32) {
    let out = Command::new("nvidia-smi")
        .args(["--query-gpu=name", "--format=csv,noheader"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output();
    let Ok(out) = out else {
        return (None, 0);
    };
    if !out.status.success() {
        return (None, 0);
    }
    let names: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(canonical_gpu_name)
        .collect();
    match names.first() {
        Some(first) => (Some(first.clone()), names.len() as u32),
        None => (None, 0),
    }
}

/// Maps an `nvidia-smi` product name to SkyPilot's accelerator name.
pub fn canonical_gpu_name(product: &str) -> String {
    let upper = product.to_ascii_uppercase().replace(['-', ' '], "");
    for known in KNOWN_GPUS {
        if upper.contains(known) {
            if *known == "A100" && upper.contains("80GB") {
                return "A100-80GB".to_string();
            }
            return known.to_string();
        }
    }
    product
        .trim_start_matches("NVIDIA ")
        .trim()
        .replace(' ', "-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpu_names_and_overrides() {
        assert_eq!(canonical_gpu_name("NVIDIA H100 80GB HBM3"), "H100");
        assert_eq!(canonical_gpu_name("NVIDIA H200"), "H200");
        assert_eq!(canonical_gpu_name("NVIDIA A100-SXM4-80GB"), "A100-80GB");
        assert_eq!(canonical_gpu_name("NVIDIA A100-SXM4-40GB"), "A100");
        assert_eq!(canonical_gpu_name("Tesla T4"), "T4");
        assert_eq!(canonical_gpu_name("NVIDIA L4"), "L4");
        assert_eq!(canonical_gpu_name("NVIDIA L40S"), "L40S");
        assert_eq!(parse_accelerators("A100:2"), (Some("A100".into()), 2));
        assert_eq!(parse_accelerators(""), (None, 0));
    }
}
