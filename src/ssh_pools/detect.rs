//! What a pool host has, asked over SSH in one command at `sky ssh up`:
//! `nproc`, `MemTotal` of `/proc/meminfo`, its first address
//! (`hostname -I`) and `nvidia-smi`'s GPU names. SkyPilot refuses a host
//! with two GPU models; so does stix, with SkyPilot's message.

use crate::error::{Error, Result};
use crate::provision::NodeResources;
use crate::provision::local_resources::{canonical_gpu_name, meminfo_gb};

/// The detection script (POSIX sh, nothing to install).
pub const SCRIPT: &str = "echo \"cpus=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN)\"; \
grep '^MemTotal:' /proc/meminfo; \
echo \"ip=$(hostname -I 2>/dev/null | awk '{print $1}')\"; \
if command -v nvidia-smi >/dev/null 2>&1; then \
nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | sed 's/^/gpu=/'; fi; true";

/// What the script found on one host.
#[derive(Debug, Clone, PartialEq)]
pub struct Detected {
    /// CPUs, memory and GPUs.
    pub resources: NodeResources,
    /// The host's first address, if it printed one.
    pub address: Option<String>,
    /// `nvidia-smi`'s product name (for the message), if any GPU.
    pub gpu_product: Option<String>,
}

/// Parses the script's output; `node` names the host in errors.
pub fn parse(node: &str, out: &str) -> Result<Detected> {
    let mut cpus = None;
    let mut address = None;
    let mut gpus: Vec<String> = Vec::new();
    for line in out.lines().map(str::trim) {
        if let Some(v) = line.strip_prefix("cpus=") {
            cpus = v.trim().parse::<f64>().ok();
        } else if let Some(v) = line.strip_prefix("ip=") {
            address = Some(v.trim().to_string()).filter(|s| !s.is_empty());
        } else if let Some(v) = line.strip_prefix("gpu=")
            && !v.trim().is_empty()
        {
            gpus.push(v.trim().to_string());
        }
    }
    let cpus = cpus.ok_or_else(|| {
        Error::value(format!(
            "Could not read the CPU count of {node} (`nproc` printed nothing). \
             Is it a Linux host?"
        ))
    })?;
    let memory_gb = meminfo_gb(out).ok_or_else(|| {
        Error::value(format!(
            "Could not read the memory of {node} (/proc/meminfo has no MemTotal). \
             Is it a Linux host?"
        ))
    })?;
    let mut names: Vec<&String> = gpus.iter().collect();
    names.sort();
    names.dedup();
    if names.len() > 1 {
        let list: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
        return Err(Error::new(
            crate::error::ErrorKind::Runtime,
            format!(
                "Node {node} has more than one GPU types ({}). SkyPilot does not support a \
                 node with multiple GPU types.",
                list.join(", ")
            ),
        ));
    }
    let gpu_product = names.first().map(|s| s.to_string());
    Ok(Detected {
        resources: NodeResources {
            cpus,
            memory_gb,
            accelerator: gpu_product.as_deref().map(canonical_gpu_name),
            accelerator_count: gpus.len() as u32,
            gpu_indices: Vec::new(),
        },
        address,
        gpu_product,
    })
}

/// `2 CPUs, 7.8 GB memory, 8x H100` for `sky ssh up`'s report.
pub fn describe(r: &NodeResources) -> String {
    let cpus = crate::clouds::virtual_type::format_float(r.cpus);
    let mut s = format!("{cpus} CPUs, {} GB memory", r.memory_gb);
    match &r.accelerator {
        Some(a) if r.accelerator_count > 0 => {
            s.push_str(&format!(", {}x {a}", r.accelerator_count))
        }
        _ => s.push_str(", no GPUs"),
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cpu_memory_address_and_gpus() {
        let out = "cpus=8\nMemTotal:       32768000 kB\nip=10.213.0.2\n\
                   gpu=NVIDIA H100 80GB HBM3\ngpu=NVIDIA H100 80GB HBM3\n";
        let d = parse("10.213.0.2", out).unwrap();
        assert_eq!(d.resources.cpus, 8.0);
        assert_eq!(d.resources.memory_gb, 31.3);
        assert_eq!(d.resources.accelerator.as_deref(), Some("H100"));
        assert_eq!(d.resources.accelerator_count, 2);
        assert_eq!(d.address.as_deref(), Some("10.213.0.2"));
        assert_eq!(describe(&d.resources), "8 CPUs, 31.3 GB memory, 2x H100");
        let plain = parse("h", "cpus=2\nMemTotal: 2097152 kB\nip=\n").unwrap();
        assert_eq!(plain.resources.accelerator, None);
        assert_eq!(plain.address, None);
        assert_eq!(describe(&plain.resources), "2 CPUs, 2 GB memory, no GPUs");
    }

    #[test]
    fn refuses_mixed_gpus_and_garbage() {
        let e = parse(
            "h1",
            "cpus=2\nMemTotal: 1 kB\ngpu=NVIDIA A100\ngpu=Tesla T4\n",
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "Node h1 has more than one GPU types (NVIDIA A100, Tesla T4). SkyPilot does not \
             support a node with multiple GPU types."
        );
        assert!(parse("h2", "").unwrap_err().message.contains("h2"));
        assert!(
            parse("h3", "cpus=2\n")
                .unwrap_err()
                .message
                .contains("memory of h3")
        );
    }
}
