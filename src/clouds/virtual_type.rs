//! Virtual instance types (`4CPU--16GB`, `4CPU--16GB--H100:1`), as
//! SkyPilot's `KubernetesInstanceType` names them; used by the infras
//! without a price catalog (Kubernetes, SSH node pools, local).

use super::{Accelerators, InstanceQuery};
use crate::catalog::query::accelerator_map;
use crate::error::{Error, Result};

/// Default vCPUs and GiB per vCPU of a virtual instance.
pub const DEFAULT_NUM_VCPUS: f64 = 2.0;
/// GiB per vCPU when memory is not asked.
pub const DEFAULT_MEMORY_CPU_RATIO: f64 = 1.0;
/// vCPUs per requested GPU.
pub const DEFAULT_NUM_VCPUS_WITH_GPU: f64 = 4.0;
/// GiB per vCPU for GPU tasks.
pub const DEFAULT_MEMORY_CPU_RATIO_WITH_GPU: f64 = 4.0;

/// `common_utils.format_float(x)`: no decimals when whole, else one.
pub fn format_float(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

/// The name of a virtual instance.
pub fn name(cpus: f64, memory: f64, accelerator: Option<(&str, f64)>) -> String {
    let mut n = format!("{}CPU--{}GB", format_float(cpus), format_float(memory));
    if let Some((acc, count)) = accelerator.filter(|(_, c)| *c > 0.0) {
        n.push_str(&format!(
            "--{}:{}",
            acc.replace(' ', "_"),
            count.ceil() as i64
        ));
    }
    n
}

/// A parsed virtual instance type: (cpus, memory GiB, accelerator).
pub type Parsed = (f64, f64, Option<(String, f64)>);

/// Parses a name into (cpus, memory, accelerator).
pub fn parse(name: &str) -> Option<Parsed> {
    let (cpu, rest) = name.split_once("CPU--")?;
    let (mem, acc) = match rest.split_once("GB--") {
        Some((m, a)) => (m, Some(a)),
        None => (rest.strip_suffix("GB")?, None),
    };
    let num = |s: &str| {
        (!s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || c == '.'))
            .then(|| s.parse::<f64>().ok())
            .flatten()
    };
    let acc = match acc {
        None => None,
        Some(a) => {
            let (n, c) = a.rsplit_once(':')?;
            let ok = !n.is_empty()
                && n.chars()
                    .all(|ch| ch.is_alphanumeric() || ch == '_' || ch == '-');
            if !ok || !c.chars().all(|ch| ch.is_ascii_digit()) || c.is_empty() {
                return None;
            }
            Some((n.to_string(), c.parse().ok()?))
        }
    };
    Some((num(cpu)?, num(mem)?, acc))
}

/// `Kubernetes.get_default_instance_type`: exactly what is asked (`+`
/// dropped), else 2 vCPUs and 1 GiB per vCPU.
pub fn default_instance_type(q: &InstanceQuery) -> Result<String> {
    let float = |s: &str| {
        crate::yaml::py_parse_float(s).ok_or_else(|| {
            Error::value(format!(
                "could not convert string to float: {}",
                crate::yaml::py_str_repr(s)
            ))
        })
    };
    let cpus = match q.cpus {
        Some(c) => float(c.trim_end_matches('+'))?,
        None => DEFAULT_NUM_VCPUS,
    };
    let mem = match q.memory {
        Some(m) if m.ends_with('+') => float(&m[..m.len() - 1])?,
        Some(m) if m.ends_with('x') => float(&m[..m.len() - 1])? * cpus,
        Some(m) => float(m)?,
        None => cpus * DEFAULT_MEMORY_CPU_RATIO,
    };
    Ok(name(cpus, mem, None))
}

/// The virtual instance for a GPU request (`from_resources`): 4 vCPUs and
/// 16 GiB per GPU unless asked otherwise.
pub fn gpu_instance_type(q: &InstanceQuery, acc: &str, count: f64) -> Result<String> {
    let (default_cpus, default_mem, _) =
        parse(&default_instance_type(q)?).unwrap_or((2.0, 2.0, None));
    let _ = default_mem;
    let cpus = if q.cpus.is_none() {
        DEFAULT_NUM_VCPUS_WITH_GPU * count
    } else {
        default_cpus
    };
    let mem = match q.memory {
        Some(m) => crate::yaml::py_parse_float(m.trim_matches('+')).ok_or_else(|| {
            Error::value(format!(
                "could not convert string to float: {}",
                crate::yaml::py_str_repr(m)
            ))
        })?,
        None => cpus * DEFAULT_MEMORY_CPU_RATIO_WITH_GPU,
    };
    Ok(name(cpus, mem, Some((acc, count))))
}

/// The virtual instance a request asks for: the default one, or the GPU
/// one for its first accelerator.
pub fn for_request(r: &crate::spec::Resources) -> Result<String> {
    let q = InstanceQuery::of(r);
    match r
        .accelerators
        .as_ref()
        .and_then(super::common::first_accelerator)
    {
        None => default_instance_type(&q),
        Some((acc, count)) => gpu_instance_type(&q, &acc, count),
    }
}

/// `{acc: count}` of a virtual instance type.
pub fn accelerators_of(instance_type: &str) -> Result<Option<Accelerators>> {
    let (_, _, acc) = parse(instance_type)
        .ok_or_else(|| Error::value(format!("Invalid instance name: {instance_type}")))?;
    Ok(acc.map(|(n, c)| accelerator_map(&n, c)))
}

/// (vCPUs, GiB) of a virtual instance type, with SkyPilot's message.
pub fn vcpus_mem(instance_type: &str) -> Result<(Option<f64>, Option<f64>)> {
    match parse(instance_type) {
        Some((c, m, _)) => Ok((Some(c), Some(m))),
        None => Err(Error::value(format!(
            "Invalid Kubernetes instance type: {}. Kubernetes instance types use the format \"<cpus>CPU--<mem>GB\" or \"<cpus>CPU--<mem>GB--<accelerator>:<count>\" (e.g. \"4CPU--16GB\", \"4CPU--16GB--H100:1\").",
            crate::yaml::py_str_repr(instance_type)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        assert_eq!(name(4.0, 16.0, None), "4CPU--16GB");
        assert_eq!(name(0.5, 1.5, Some(("H100", 1.0))), "0.5CPU--1.5GB--H100:1");
        assert_eq!(
            parse("4CPU--16GB--H100:1"),
            Some((4.0, 16.0, Some(("H100".into(), 1.0))))
        );
        assert_eq!(parse("4CPU--16GB"), Some((4.0, 16.0, None)));
        assert_eq!(parse("m6i.large"), None);
        let q = InstanceQuery {
            cpus: Some("4+"),
            memory: Some("2x"),
            ..InstanceQuery::default()
        };
        assert_eq!(default_instance_type(&q).unwrap(), "4CPU--8GB");
        assert_eq!(
            default_instance_type(&InstanceQuery::default()).unwrap(),
            "2CPU--2GB"
        );
        assert_eq!(
            gpu_instance_type(&InstanceQuery::default(), "A100", 2.0).unwrap(),
            "8CPU--32GB--A100:2"
        );
        assert!(
            vcpus_mem("bad")
                .unwrap_err()
                .message
                .starts_with("Invalid Kubernetes instance type: 'bad'.")
        );
    }
}
