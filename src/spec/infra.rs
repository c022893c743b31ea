//! Cloud names and `infra:` strings (`aws/us-east-1/us-east-1a`, `k8s/ctx`,
//! `ssh/pool`, `*` wildcards), parsed and printed as SkyPilot does.

use crate::error::{Error, Result};
use crate::spec::difflib::closest_match;

/// (canonical lower-case name, display name) of every cloud stix knows.
/// SkyPilot's registry, in its order (error messages list them so), then
/// `local`, stix's own infra.
const CLOUDS: &[(&str, &str)] = &[
    ("gcp", "GCP"),
    ("verda", "Verda"),
    ("aws", "AWS"),
    ("azure", "Azure"),
    ("cudo", "Cudo"),
    ("do", "DO"),
    ("fluidstack", "Fluidstack"),
    ("hyperbolic", "Hyperbolic"),
    ("ibm", "IBM"),
    ("kubernetes", "Kubernetes"),
    ("lambda", "Lambda"),
    ("mithril", "Mithril"),
    ("nebius", "Nebius"),
    ("oci", "OCI"),
    ("paperspace", "Paperspace"),
    ("primeintellect", "PrimeIntellect"),
    ("runpod", "RunPod"),
    ("scp", "SCP"),
    ("seeweb", "Seeweb"),
    ("shadeform", "Shadeform"),
    ("slurm", "Slurm"),
    ("ssh", "SSH"),
    ("vast", "Vast"),
    ("vsphere", "vSphere"),
    ("yotta", "Yotta"),
    ("local", "Local"),
];

const ALIASES: &[(&str, &str)] = &[("digitalocean", "do"), ("k8s", "kubernetes")];

/// A cloud, by its canonical lower-case registry name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cloud(&'static str);

impl Cloud {
    /// `CLOUD_REGISTRY.from_str`: case-insensitive, aliases, "did you mean".
    // SkyPilot's name; not `FromStr`, whose error type would hide stix's
    // typed error at every call site.
    #[allow(clippy::should_implement_trait)]
    pub fn from_str(name: &str) -> Result<Cloud> {
        let search = name.to_lowercase();
        if let Some((canon, _)) = CLOUDS.iter().find(|(c, _)| *c == search) {
            return Ok(Cloud(canon));
        }
        if let Some((_, canon)) = ALIASES.iter().find(|(a, _)| *a == search) {
            return Ok(Cloud(
                CLOUDS
                    .iter()
                    .find(|(c, _)| c == canon)
                    .map_or("kubernetes", |(c, _)| c),
            ));
        }
        let known: Vec<&str> = CLOUDS
            .iter()
            .map(|(c, _)| *c)
            .chain(ALIASES.iter().map(|(a, _)| *a))
            .collect();
        let hint = closest_match(&search, known.iter().copied())
            .map(|m| format!(" Did you mean {}?", crate::yaml::py_str_repr(m)))
            .unwrap_or_default();
        let list = format!(
            "[{}]",
            known
                .iter()
                .map(|k| crate::yaml::py_str_repr(k))
                .collect::<Vec<_>>()
                .join(", ")
        );
        Err(Error::value(format!(
            "Cloud {} is not a valid cloud among {list}.{hint}",
            crate::yaml::py_str_repr(name)
        )))
    }
    /// Canonical lower-case name (`aws`, `kubernetes`).
    pub fn name(self) -> &'static str {
        self.0
    }
    /// Display name, as `str(cloud)` prints it (`AWS`, `Kubernetes`).
    pub fn display(self) -> &'static str {
        CLOUDS
            .iter()
            .find(|(c, _)| *c == self.0)
            .map_or(self.0, |(_, d)| d)
    }
}

/// Parsed `infra:`; `None` fields are wildcards.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InfraInfo {
    /// Lower-case cloud name.
    pub cloud: Option<String>,
    /// Region (for SSH: `ssh-<pool>`; for Kubernetes: the context).
    pub region: Option<String>,
    /// Zone.
    pub zone: Option<String>,
}

fn none_if_wild(s: Option<String>) -> Option<String> {
    s.filter(|v| !v.is_empty() && v != "*")
}

impl InfraInfo {
    /// Builds from parts, treating empty and `*` as unset.
    pub fn new(cloud: Option<String>, region: Option<String>, zone: Option<String>) -> Self {
        InfraInfo {
            cloud: none_if_wild(cloud),
            region: none_if_wild(region),
            zone: none_if_wild(zone),
        }
    }

    /// `InfraInfo.from_str`.
    pub fn parse(infra: &str) -> Result<InfraInfo> {
        if infra.trim().is_empty() {
            return Ok(InfraInfo::default());
        }
        let infra = infra.trim().trim_matches('/');
        let parts: Vec<&str> = infra.trim().split('/').map(str::trim).collect();
        if parts.contains(&"") {
            return Err(Error::value(format!(
                "Invalid infra format: {infra}. Format should not contain empty parts (e.g., double slashes \"//\")."
            )));
        }
        let cloud = parts[0].to_lowercase();
        let rest = || (parts.len() >= 2).then(|| parts[1..].join("/"));
        let (cloud, region, zone) = match cloud.as_str() {
            "k8s" | "kubernetes" => ("kubernetes".to_string(), rest(), None),
            "ssh" => ("ssh".to_string(), rest().map(|r| format!("ssh-{r}")), None),
            _ => {
                if parts.len() > 3 {
                    return Err(Error::value(format!(
                        "Invalid infra format: {infra}. Expected format is \"cloud\", \"cloud/region\", or \"cloud/region/zone\"."
                    )));
                }
                (
                    cloud,
                    parts.get(1).map(|s| s.to_string()),
                    parts.get(2).map(|s| s.to_string()),
                )
            }
        };
        Ok(InfraInfo::new(Some(cloud), region, zone))
    }

    /// `InfraInfo.to_str`: lower-case cloud, `*` for gaps, trailing `*` dropped.
    pub fn to_str(&self) -> Option<String> {
        let cloud = self
            .cloud
            .clone()
            .unwrap_or_else(|| "*".into())
            .to_lowercase();
        let mut region = self.region.clone().unwrap_or_else(|| "*".into());
        if let Some(r) = region.strip_prefix("ssh-") {
            region = r.to_string();
        }
        let zone = self.zone.clone().unwrap_or_else(|| "*".into());
        let mut parts = vec![cloud, region, zone];
        while parts.last().is_some_and(|p| p == "*") {
            parts.pop();
        }
        (!parts.is_empty()).then(|| parts.join("/"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infra_round_trips() {
        let cases = [
            ("aws", "aws"),
            ("AWS/us-east-1", "aws/us-east-1"),
            ("aws/*/us-east-1a", "aws/*/us-east-1a"),
            ("*/us-east-1", "*/us-east-1"),
            ("k8s", "kubernetes"),
            (
                "k8s/aws:eks:us-east-1:1:cluster/my-cluster",
                "kubernetes/aws:eks:us-east-1:1:cluster/my-cluster",
            ),
            ("ssh/my-pool", "ssh/my-pool"),
        ];
        for (input, want) in cases {
            assert_eq!(
                InfraInfo::parse(input).unwrap().to_str().as_deref(),
                Some(want),
                "{input}"
            );
        }
        assert_eq!(InfraInfo::parse("*").unwrap().to_str(), None);
        assert_eq!(
            InfraInfo::parse("ssh/p").unwrap().region.as_deref(),
            Some("ssh-p")
        );
        assert!(InfraInfo::parse("aws//x").is_err());
    }

    #[test]
    fn cloud_names() {
        assert_eq!(Cloud::from_str("K8S").unwrap().display(), "Kubernetes");
        let err = Cloud::from_str("awz").unwrap_err().message;
        assert!(err.ends_with("Did you mean 'aws'?"), "{err}");
    }
}
