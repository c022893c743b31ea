//! Cloud implementation features (`CloudImplementationFeatures`): what a
//! request needs, what each cloud lacks, and SkyPilot's `NotSupportedError`
//! table when the two meet.

use super::text::plain_table;
use crate::error::{Error, ErrorKind, Result};
use crate::spec::Resources;

/// A feature some clouds do not implement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Feature {
    /// `stop`.
    Stop,
    /// `multi-node`.
    MultiNode,
    /// `clone_disk_from_cluster`.
    CloneDiskFromCluster,
    /// `image_id`.
    ImageId,
    /// `docker_image`.
    DockerImage,
    /// `spot_instance`.
    SpotInstance,
    /// `custom_disk_tier`.
    CustomDiskTier,
    /// `custom_network_tier`.
    CustomNetworkTier,
    /// `open_ports`.
    OpenPorts,
    /// `storage_mounting`.
    StorageMounting,
    /// `host_controllers`.
    HostControllers,
    /// `high_availability_controllers`.
    HighAvailabilityControllers,
    /// `auto_terminate`.
    AutoTerminate,
    /// `autostop`.
    Autostop,
    /// `autodown`.
    Autodown,
    /// `custom_multi_network`.
    CustomMultiNetwork,
    /// `local_disk`.
    LocalDisk,
}

impl Feature {
    /// The enum value SkyPilot prints (`feature.value`).
    pub fn value(self) -> &'static str {
        match self {
            Feature::Stop => "stop",
            Feature::MultiNode => "multi-node",
            Feature::CloneDiskFromCluster => "clone_disk_from_cluster",
            Feature::ImageId => "image_id",
            Feature::DockerImage => "docker_image",
            Feature::SpotInstance => "spot_instance",
            Feature::CustomDiskTier => "custom_disk_tier",
            Feature::CustomNetworkTier => "custom_network_tier",
            Feature::OpenPorts => "open_ports",
            Feature::StorageMounting => "storage_mounting",
            Feature::HostControllers => "host_controllers",
            Feature::HighAvailabilityControllers => "high_availability_controllers",
            Feature::AutoTerminate => "auto_terminate",
            Feature::Autostop => "autostop",
            Feature::Autodown => "autodown",
            Feature::CustomMultiNetwork => "custom_multi_network",
            Feature::LocalDisk => "local_disk",
        }
    }
}

/// `Resources.extract_docker_image()`.
pub fn docker_image(r: &Resources) -> Option<String> {
    if let Some(d) = &r.docker_image {
        return Some(d.clone());
    }
    let ids = r.image_id.as_ref()?;
    if ids.len() != 1 {
        return None;
    }
    let (k, v) = ids.iter().next()?;
    let key_matches = k.is_null() || k.as_str() == r.region.as_deref();
    let v = v.as_str()?;
    if key_matches {
        v.strip_prefix("docker:").map(str::to_string)
    } else {
        None
    }
}

/// Whether `Resources.get_cloud_image_id()` is set (a non-docker image).
pub fn has_cloud_image_id(r: &Resources) -> bool {
    r.image_id.as_ref().is_some_and(|ids| {
        ids.iter()
            .any(|(_, v)| !v.as_str().is_some_and(|s| s.starts_with("docker:")))
    })
}

/// `Resources.get_required_cloud_features()`, plus `multi-node` when more
/// than one node is asked for.
pub fn required_features(r: &Resources, num_nodes: u32) -> Vec<Feature> {
    let mut f = Vec::new();
    if r.use_spot {
        f.push(Feature::SpotInstance);
    }
    let custom_tier = |t: &str| t != "best";
    if r.disk_tier.as_deref().is_some_and(custom_tier) {
        f.push(Feature::CustomDiskTier);
    }
    if r.network_tier.as_deref() == Some("best") {
        f.push(Feature::CustomNetworkTier);
    }
    if docker_image(r).is_some() {
        f.push(Feature::DockerImage);
    }
    if has_cloud_image_id(r) {
        f.push(Feature::ImageId);
    }
    if r.ports.is_some() {
        f.push(Feature::OpenPorts);
    }
    if let Some(vols) = &r.volumes {
        let custom = vols.iter().any(|v| {
            v.get("disk_tier")
                .is_some_and(|t| custom_tier(&t.py_str().to_lowercase()))
        });
        if custom && !f.contains(&Feature::CustomDiskTier) {
            f.push(Feature::CustomDiskTier);
        }
    }
    if r.local_disk.is_some() {
        f.push(Feature::LocalDisk);
    }
    if num_nodes > 1 {
        f.push(Feature::MultiNode);
    }
    f
}

/// `check_features_are_supported`: `NotSupportedError` listing each
/// requested feature the cloud lacks, with its reason.
pub fn check_supported(
    repr: &str,
    unsupported: &[(Feature, String)],
    requested: &[Feature],
) -> Result<()> {
    let mut missing: Vec<&(Feature, String)> = unsupported
        .iter()
        .filter(|(f, _)| requested.contains(f))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    // SkyPilot iterates a set here (hash order); stix lists by feature.
    missing.sort_by_key(|(f, _)| *f);
    let rows: Vec<Vec<String>> = missing
        .iter()
        .map(|(f, reason)| vec![f.value().to_string(), reason.clone()])
        .collect();
    let table = plain_table(&["Feature", "Reason"], &rows);
    Err(Error::new(
        ErrorKind::NotSupported,
        format!(
            "The following features are not supported by {repr}:\n\t{}",
            table.replace('\n', "\n\t")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_supported_message() {
        let err = check_supported(
            "Lambda",
            &[(
                Feature::SpotInstance,
                "Spot instances are not supported in Lambda.".into(),
            )],
            &[Feature::SpotInstance],
        )
        .unwrap_err();
        assert_eq!(err.kind, ErrorKind::NotSupported);
        assert_eq!(
            err.message,
            "The following features are not supported by Lambda:\n\tFeature        Reason                                       \n\tspot_instance  Spot instances are not supported in Lambda.  "
        );
        assert!(check_supported("AWS", &[], &[Feature::SpotInstance]).is_ok());
    }
}
