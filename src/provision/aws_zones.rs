//! Fetches the account's AWS zone id -> zone name mapping into the catalog
//! directory, as SkyPilot's `fetch_availability_zone_mappings` does on the
//! first AWS catalog use with credentials: the enabled regions
//! (`DescribeRegions`) that the catalog knows, each region's zones
//! (`DescribeAvailabilityZones`, all regions at once), written to
//! `aws/az_mappings-<md5(UserId)[:8]>.csv` with its `.meta` md5. The
//! catalog then shows zone names (`crate::catalog::az_mapping`).

use std::collections::BTreeSet;
use std::path::Path;

use aws_sdk_ec2::config::Region;

use super::aws_client::{block_on, call, sdk_config, sts};
use crate::catalog::{Catalogs, az_mapping, md5};
use crate::error::{Error, ErrorKind, Result};

/// Whether credentials are configured where reading them costs nothing
/// (environment, profile files, web identity, container); the instance
/// metadata service is not probed, so machines without AWS stay fast.
pub fn credentials_configured() -> bool {
    let set = |v: &str| std::env::var_os(v).is_some_and(|s| !s.is_empty());
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    let file = |var: &str, default: &str| match std::env::var_os(var) {
        Some(p) => Path::new(&p).exists(),
        None => home.as_ref().is_some_and(|h| h.join(default).exists()),
    };
    set("AWS_ACCESS_KEY_ID")
        || set("AWS_PROFILE")
        || set("AWS_WEB_IDENTITY_TOKEN_FILE")
        || set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        || set("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        || file("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials")
        || file("AWS_CONFIG_FILE", ".aws/config")
}

/// Makes sure a mapping file exists in `cat`'s directory, fetching it when
/// none does and credentials are configured. Returns whether one exists.
pub fn ensure(cat: &Catalogs) -> Result<bool> {
    if az_mapping::latest(cat.root()).is_some() {
        return Ok(true);
    }
    if !credentials_configured() {
        return Ok(false);
    }
    let regions: BTreeSet<String> = {
        let t = cat.vms("aws")?;
        t.rows
            .iter()
            .filter_map(|r| t.str(r.region))
            .map(str::to_string)
            .collect()
    };
    let client = sts()?;
    let identity = call("GetCallerIdentity", || client.get_caller_identity().send())?;
    let user_id = identity.user_id().unwrap_or_default();
    let hash = &md5::hex_digest(user_id.as_bytes())[..8];
    let zones = fetch(&regions)?;
    let text = az_mapping::render(&zones);
    let file = az_mapping::filename(hash);
    write(&cat.root().join(&file), &text)?;
    let meta = cat.root().join(".meta").join(format!("{file}.md5"));
    write(&meta, &md5::hex_digest(text.as_bytes()))?;
    Ok(true)
}

/// `(zone name, zone id)` of every zone of the enabled regions among
/// `known`, region by region.
fn fetch(known: &BTreeSet<String>) -> Result<Vec<(String, String)>> {
    let base = sdk_config(Some("us-east-1"))?;
    let ec2 = aws_sdk_ec2::Client::new(&base);
    let out = call("DescribeRegions", || ec2.describe_regions().send())?;
    let regions: Vec<String> = out
        .regions()
        .iter()
        .filter_map(|r| r.region_name())
        .filter(|r| known.contains(*r))
        .map(str::to_string)
        .collect();
    let per_region = block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for (i, region) in regions.iter().enumerate() {
            let conf = aws_sdk_ec2::config::Builder::from(&base)
                .region(Region::new(region.clone()))
                .build();
            let client = aws_sdk_ec2::Client::from_conf(conf);
            set.spawn(async move { (i, client.describe_availability_zones().send().await) });
        }
        let mut got = Vec::new();
        while let Some(r) = set.join_next().await {
            got.extend(r.ok());
        }
        got.sort_by_key(|(i, _)| *i);
        got
    })?;
    let mut zones = Vec::new();
    // A region the account cannot describe is left out (SkyPilot warns and
    // drops it); all of them failing is an error.
    let mut failed = 0;
    for (_, r) in per_region {
        match r {
            Ok(out) => zones.extend(
                out.availability_zones()
                    .iter()
                    .filter_map(|z| Some((z.zone_name()?.to_string(), z.zone_id()?.to_string()))),
            ),
            Err(_) => failed += 1,
        }
    }
    if zones.is_empty() && failed > 0 {
        return Err(Error::new(
            ErrorKind::Runtime,
            "Failed to fetch availability zone mappings for all enabled regions.",
        ));
    }
    Ok(zones)
}

fn write(path: &Path, text: &str) -> Result<()> {
    let os = |e: std::io::Error| Error::new(ErrorKind::Os, format!("{}: {e}", path.display()));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(os)?;
    }
    // Written whole then renamed, so a concurrent reader never sees half.
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, text).map_err(os)?;
    std::fs::rename(&tmp, path).map_err(os)
}
