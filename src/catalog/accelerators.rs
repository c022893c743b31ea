//! `common/accelerators.csv` and `common/metadata.csv`: canonical
//! accelerator names (`a100` -> `A100`) and GPUs by memory size, as
//! SkyPilot's `accelerator_registry` reads them.

use super::csv::Csv;
use crate::error::{Error, Result};
use crate::yaml::{Value, py_str_repr};

/// The accelerator registry: (name, clouds text) rows and GPU metadata.
#[derive(Debug, Clone, Default)]
pub struct AcceleratorRegistry {
    /// `AcceleratorName` and the raw `Clouds` cell (`"['AWS', 'GCP']"`).
    pub names: Vec<(String, String)>,
    /// `GPU`, `MemoryGB`, `Manufacturer` rows of `metadata.csv`.
    pub memory: Vec<(String, f64, String)>,
}

impl AcceleratorRegistry {
    /// Builds the registry from the two files.
    pub fn new(accelerators: &Csv, metadata: &Csv) -> AcceleratorRegistry {
        let names = accelerators
            .records
            .iter()
            .filter_map(|r| {
                let name = accelerators.get(r, "AcceleratorName")?;
                let clouds = accelerators.get(r, "Clouds").unwrap_or("");
                Some((name.to_string(), clouds.to_string()))
            })
            .collect();
        let memory = metadata
            .records
            .iter()
            .filter_map(|r| {
                let gpu = metadata.get(r, "GPU")?;
                let mem = metadata
                    .get(r, "MemoryGB")
                    .and_then(crate::yaml::py_parse_float)
                    .unwrap_or(f64::NAN);
                let m = metadata.get(r, "Manufacturer").unwrap_or("");
                Some((gpu.to_string(), mem, m.to_string()))
            })
            .collect();
        AcceleratorRegistry { names, memory }
    }

    /// `canonicalize_accelerator_name(accelerator, cloud)`; `cloud` is the
    /// cloud's display name (`str(cloud)`), matched as a substring of the
    /// `Clouds` cell as SkyPilot does. Kubernetes' live GPU labels are not
    /// consulted (no cluster access in the catalog layer).
    pub fn canonicalize(&self, accelerator: &str, cloud: Option<&str>) -> Result<String> {
        if accelerator.to_lowercase().starts_with("tpu-") {
            return Ok(accelerator.to_lowercase());
        }
        let re = py_regex(accelerator, false)?;
        let mut names = Vec::new();
        for (name, clouds) in &self.names {
            if !re.is_match(name) {
                continue;
            }
            if accelerator.to_lowercase() == name.to_lowercase() {
                return Ok(name.clone());
            }
            if cloud.is_none_or(|c| clouds.contains(c)) {
                names.push(name.clone());
            }
        }
        match names.len() {
            0 => Ok(accelerator.to_string()),
            1 => Ok(names.remove(0)),
            _ => {
                let list = Value::Seq(names.into_iter().map(Value::Str).collect()).py_repr();
                Err(Error::value(format!(
                    "Accelerator name {} is ambiguous. Please choose one of {list}.",
                    py_str_repr(accelerator)
                )))
            }
        }
    }

    /// `get_devices_by_memory(memory, plus, manufacturer)`.
    pub fn devices_by_memory(
        &self,
        memory: f64,
        plus: bool,
        manufacturer: Option<&str>,
    ) -> Vec<String> {
        self.memory
            .iter()
            .filter(|(_, m, _)| if plus { *m >= memory } else { *m == memory })
            .filter(|(_, _, maker)| {
                manufacturer.is_none_or(|want| maker.to_lowercase() == want.to_lowercase())
            })
            .map(|(g, _, _)| g.clone())
            .collect()
    }
}

/// A pattern for pandas' `str.contains(pat, case=case_sensitive)`, which
/// uses Python's `re.search`.
pub fn py_regex(pattern: &str, case_sensitive: bool) -> Result<regex::Regex> {
    regex::RegexBuilder::new(pattern)
        .case_insensitive(!case_sensitive)
        .build()
        .map_err(|e| {
            Error::value(format!(
                "Invalid regular expression {}: {e}",
                py_str_repr(pattern)
            ))
        })
}

/// A pattern for pandas' `str.fullmatch(pat, case=False)`.
pub fn py_fullmatch(pattern: &str) -> Result<regex::Regex> {
    py_regex(&format!("^(?:{pattern})$"), false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> AcceleratorRegistry {
        let accs = Csv::parse(
            "AcceleratorName,Clouds\n\
             A100,\"['AWS', 'GCP']\"\n\
             A100-80GB,\"['AWS', 'GCP', 'RunPod']\"\n\
             A10G,['AWS']\n\
             H100,\"['AWS', 'RunPod']\"\n",
        );
        let meta = Csv::parse("GPU,MemoryGB,Manufacturer\nA100,40,nvidia\nH100,80,nvidia\n");
        AcceleratorRegistry::new(&accs, &meta)
    }

    #[test]
    fn canonical_names() {
        let r = registry();
        assert_eq!(r.canonicalize("a100", None).unwrap(), "A100");
        assert_eq!(r.canonicalize("h100", Some("RunPod")).unwrap(), "H100");
        assert_eq!(r.canonicalize("tpu-V4-8", None).unwrap(), "tpu-v4-8");
        assert_eq!(r.canonicalize("xyz", None).unwrap(), "xyz");
        // `a10` is a prefix of A100, A100-80GB and A10G.
        let err = r.canonicalize("a10", None).unwrap_err().message;
        assert_eq!(
            err,
            "Accelerator name 'a10' is ambiguous. Please choose one of ['A100', 'A100-80GB', 'A10G']."
        );
        assert_eq!(r.canonicalize("a10", Some("RunPod")).unwrap(), "A100-80GB");
        assert_eq!(r.devices_by_memory(80.0, true, Some("NVIDIA")), ["H100"]);
    }
}
