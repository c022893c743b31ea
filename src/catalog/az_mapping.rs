//! AWS zone ids -> the account's zone names (SkyPilot's
//! `_fetch_and_apply_az_mapping`). The public AWS catalog lists zone ids
//! (`use1-az1`, the same place in every account); which name (`us-east-1b`)
//! an account gives that place is the account's own. SkyPilot keeps the
//! account's mapping in `aws/az_mappings-<user hash>.csv` next to the
//! catalog and joins it into the table (an inner join: zones of regions
//! the account lacks drop out), so everything the user sees, and the order
//! zones are tried in, is by zone name. The mapping is fetched by the AWS
//! provisioner (`crate::provision::aws_zones`); this module only reads it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::csv::Csv;
use super::table::{NONE, VmTable};

/// The mapping files' names: `aws/az_mappings-<hash>.csv`.
pub const FILE_PREFIX: &str = "az_mappings-";

/// `aws/az_mappings-<user_hash>.csv` relative to the catalog directory.
pub fn filename(user_hash: &str) -> String {
    format!("aws/{FILE_PREFIX}{user_hash}.csv")
}

/// The most recently written mapping file in the catalog directory `root`
/// (SkyPilot's fallback when it cannot ask for the user's identity; stix
/// does not ask STS on every catalog load).
pub fn latest(root: &Path) -> Option<PathBuf> {
    let dir = std::fs::read_dir(root.join("aws")).ok()?;
    dir.filter_map(|e| e.ok())
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with(FILE_PREFIX) && name.ends_with(".csv")
        })
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .max()
        .map(|(_, p)| p)
}

/// Zone id -> zone name from a mapping file's text
/// (`AvailabilityZoneName,AvailabilityZone`, any column order).
pub fn parse(text: &str) -> HashMap<String, String> {
    let csv = Csv::parse(text);
    csv.records
        .iter()
        .filter_map(|r| {
            let id = csv.get(r, "AvailabilityZone")?;
            let name = csv.get(r, "AvailabilityZoneName")?;
            Some((id.to_string(), name.to_string()))
        })
        .collect()
}

/// The mapping file's text for `(zone name, zone id)` pairs, as pandas'
/// `to_csv(index=False)` writes SkyPilot's frame.
pub fn render(zones: &[(String, String)]) -> String {
    let mut out = String::from("AvailabilityZoneName,AvailabilityZone\n");
    for (name, id) in zones {
        out.push_str(&format!("{name},{id}\n"));
    }
    out
}

/// `df.merge(az_mappings, on='AvailabilityZone', how='inner')` with the
/// name replacing the id: rows keep their order; rows whose zone has no
/// mapping (or no zone) drop out.
pub fn apply(t: &VmTable, map: &HashMap<String, String>) -> VmTable {
    let mut strings = t.strings.clone();
    let mut ids: HashMap<&str, u32> = HashMap::new();
    let new_id = |name: &str, strings: &mut Vec<String>| -> u32 {
        if let Some(i) = t.lookup(name) {
            return i;
        }
        strings.push(name.to_string());
        (strings.len() - 1) as u32
    };
    // One id per zone of the table.
    let mut by_zone: HashMap<u32, u32> = HashMap::new();
    for (zid, name) in map {
        if let Some(old) = t.lookup(zid) {
            let id = *ids
                .entry(name.as_str())
                .or_insert_with(|| new_id(name, &mut strings));
            by_zone.insert(old, id);
        }
    }
    let rows = t
        .rows
        .iter()
        .filter(|r| r.zone != NONE)
        .filter_map(|r| {
            let mut r = *r;
            r.zone = *by_zone.get(&r.zone)?;
            Some(r)
        })
        .collect();
    VmTable::from_parts(strings, t.columns, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_become_names_and_unknown_zones_drop() {
        let t = VmTable::parse(
            "InstanceType,Price,Region,AvailabilityZone\n\
             m6i.large,0.1,us-east-1,use1-az1\n\
             m6i.large,0.1,us-east-1,use1-az6\n\
             m6i.large,0.2,ap-east-2,ape2-az1\n",
        );
        let text = render(&[
            ("us-east-1b".into(), "use1-az1".into()),
            ("us-east-1a".into(), "use1-az6".into()),
        ]);
        assert!(text.starts_with("AvailabilityZoneName,AvailabilityZone\nus-east-1b,use1-az1"));
        let mapped = apply(&t, &parse(&text));
        let zones: Vec<_> = mapped.rows.iter().map(|r| mapped.str(r.zone)).collect();
        assert_eq!(zones, [Some("us-east-1b"), Some("us-east-1a")]);
        assert_eq!(mapped.lookup("us-east-1a"), Some(mapped.rows[1].zone));
    }
}
