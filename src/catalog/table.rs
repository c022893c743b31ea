//! A `vms.csv` catalog held as compact rows: strings interned once, numbers
//! as `f64` with NaN for missing, the columns read by header name.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::csv::{for_each_record, is_na};
use super::gpu_info::{DeviceMemory, device_memory};

/// An interned string id; [`NONE`] is a missing value (pandas NaN).
pub type Sid = u32;
/// The missing string.
pub const NONE: Sid = u32::MAX;

/// The columns stix reads from `vms.csv`, by SkyPilot's header names.
/// Any other column is ignored; any of these may be absent.
pub const COLUMNS: &[&str] = &[
    "InstanceType",
    "AcceleratorName",
    "AcceleratorCount",
    "vCPUs",
    "MemoryGiB",
    "GpuInfo",
    "Price",
    "SpotPrice",
    "Region",
    "AvailabilityZone",
    "Arch",
    "LocalDiskType",
    "NVMeSupported",
    "LocalDiskSize",
    "LocalDiskCount",
    "MaximumEfaInterfaces",
    "HostingType",
];

/// Bit flags for [`COLUMNS`] present in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Columns(pub u32);

impl Columns {
    /// Whether the file has column `name` (`name in df.columns`).
    pub fn has(self, name: &str) -> bool {
        COLUMNS
            .iter()
            .position(|c| *c == name)
            .is_some_and(|i| self.0 & (1 << i) != 0)
    }
}

/// One catalog row. Missing numbers are NaN, missing strings [`NONE`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VmRow {
    /// `InstanceType` (missing for GCP's attachable accelerators).
    pub instance_type: Sid,
    /// `AcceleratorName`.
    pub acc_name: Sid,
    /// `AcceleratorCount`.
    pub acc_count: f64,
    /// `vCPUs`.
    pub vcpus: f64,
    /// `MemoryGiB`.
    pub memory: f64,
    /// `GpuInfo`, the raw text.
    pub gpu_info: Sid,
    /// `Price` (on-demand, per hour).
    pub price: f64,
    /// `SpotPrice`.
    pub spot_price: f64,
    /// `Region`.
    pub region: Sid,
    /// `AvailabilityZone`.
    pub zone: Sid,
    /// `Arch` (AWS).
    pub arch: Sid,
    /// `LocalDiskType` (AWS).
    pub local_disk_type: Sid,
    /// `NVMeSupported`: 0 false, 1 true, 2 missing.
    pub nvme: u8,
    /// `LocalDiskSize` (GB per disk).
    pub local_disk_size: f64,
    /// `LocalDiskCount`.
    pub local_disk_count: f64,
    /// `MaximumEfaInterfaces`.
    pub max_efa: f64,
    /// `HostingType` (Vast: 0 consumer, 1 datacenter).
    pub hosting_type: f64,
    /// Device memory derived from `GpuInfo` (what `list_accelerators` shows).
    pub device_memory: DeviceMemory,
}

/// A whole `vms.csv`: the string pool, which columns exist, and the rows in
/// file order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VmTable {
    /// Interned strings; a [`Sid`] indexes this.
    pub strings: Vec<String>,
    /// Which of [`COLUMNS`] the file has.
    pub columns: Columns,
    /// Rows in file order.
    pub rows: Vec<VmRow>,
    /// String -> id, built on first lookup.
    ids: OnceLock<HashMap<String, Sid>>,
    /// Instance type id -> its row indices, built on first use.
    by_type: OnceLock<HashMap<Sid, Vec<u32>>>,
}

impl VmTable {
    /// The string behind `id`, `None` for a missing value.
    pub fn str(&self, id: Sid) -> Option<&str> {
        self.strings.get(id as usize).map(String::as_str)
    }

    /// The id of `s` if the table holds it (lets filters compare ids).
    pub fn lookup(&self, s: &str) -> Option<Sid> {
        self.ids
            .get_or_init(|| {
                self.strings
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (s.clone(), i as Sid))
                    .collect()
            })
            .get(s)
            .copied()
    }

    /// A table from its parts (the index loader).
    pub fn from_parts(strings: Vec<String>, columns: Columns, rows: Vec<VmRow>) -> VmTable {
        VmTable {
            strings,
            columns,
            rows,
            ids: OnceLock::new(),
            by_type: OnceLock::new(),
        }
    }

    /// Indices of the rows of one instance type, in file order.
    pub fn rows_of_type(&self, id: Sid) -> &[u32] {
        self.by_type
            .get_or_init(|| {
                let mut m: HashMap<Sid, Vec<u32>> = HashMap::new();
                for (i, r) in self.rows.iter().enumerate() {
                    if r.instance_type != NONE {
                        m.entry(r.instance_type).or_default().push(i as u32);
                    }
                }
                m
            })
            .get(&id)
            .map_or(&[], Vec::as_slice)
    }

    /// Parses a `vms.csv` text.
    pub fn parse(text: &str) -> VmTable {
        let mut b = Builder::default();
        let mut index: Vec<Option<usize>> = Vec::new();
        let mut header = true;
        for_each_record(text, |fields| {
            if header {
                header = false;
                index = COLUMNS
                    .iter()
                    .map(|c| fields.iter().position(|f| f.as_ref() == *c))
                    .collect();
                for (i, pos) in index.iter().enumerate() {
                    if pos.is_some() {
                        b.table.columns.0 |= 1 << i;
                    }
                }
                return;
            }
            let get = |col: usize| -> Option<&str> {
                index[col]
                    .and_then(|i| fields.get(i).map(|f| f.as_ref()))
                    .filter(|f| !is_na(f))
            };
            let num = |col: usize| get(col).map_or(f64::NAN, parse_number);
            let gpu_info = get(5);
            let gpu_id = b.intern(gpu_info);
            // The same GpuInfo text repeats on every row of an instance type.
            let device_memory = *b
                .device_memory
                .entry(gpu_id)
                .or_insert_with(|| device_memory(gpu_info));
            let row = VmRow {
                instance_type: b.intern(get(0)),
                acc_name: b.intern(get(1)),
                acc_count: num(2),
                vcpus: num(3),
                memory: num(4),
                gpu_info: gpu_id,
                price: num(6),
                spot_price: num(7),
                region: b.intern(get(8)),
                zone: b.intern(get(9)),
                arch: b.intern(get(10)),
                local_disk_type: b.intern(get(11)),
                nvme: match get(12) {
                    Some("True" | "true" | "TRUE") => 1,
                    Some(_) => 0,
                    None => 2,
                },
                local_disk_size: num(13),
                local_disk_count: num(14),
                max_efa: num(15),
                hosting_type: num(16),
                device_memory,
            };
            b.table.rows.push(row);
        });
        b.table
    }
}

/// pandas reads numeric columns as float64; a field that is not a number
/// reads as missing here (pandas would make the column `object`).
fn parse_number(s: &str) -> f64 {
    // Plain decimals (all catalog numbers) take the fast path.
    let plain = s
        .bytes()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'-' | b'+' | b'e' | b'E'))
        && s.bytes().any(|c| c.is_ascii_digit());
    match s.parse::<f64>() {
        Ok(v) if plain => v,
        _ => crate::yaml::py_parse_float(s).unwrap_or(f64::NAN),
    }
}

#[derive(Default)]
struct Builder {
    table: VmTable,
    ids: HashMap<String, Sid>,
    device_memory: HashMap<Sid, DeviceMemory>,
}

impl Builder {
    fn intern(&mut self, s: Option<&str>) -> Sid {
        let Some(s) = s else { return NONE };
        if let Some(id) = self.ids.get(s) {
            return *id;
        }
        let id = self.table.strings.len() as Sid;
        self.table.strings.push(s.to_string());
        self.ids.insert(s.to_string(), id);
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_by_header_name_with_optional_columns() {
        let text = "Region,InstanceType,vCPUs,MemoryGiB,Price,SpotPrice,Extra\n\
                    us-east-1,m6i.large,2.0,8.0,0.096,,x\n\
                    us-west-2,m6i.large,2.0,8.0,0.096,0.04,y\n";
        let t = VmTable::parse(text);
        assert_eq!(t.rows.len(), 2);
        assert!(t.columns.has("Region") && !t.columns.has("AvailabilityZone"));
        let r = t.rows[0];
        assert_eq!(t.str(r.instance_type), Some("m6i.large"));
        assert_eq!(t.str(r.region), Some("us-east-1"));
        assert!(r.spot_price.is_nan() && r.acc_name == NONE);
        assert_eq!(t.rows[1].spot_price, 0.04);
        assert_eq!(t.rows[0].instance_type, t.rows[1].instance_type);
        assert_eq!(t.lookup("us-west-2"), Some(t.rows[1].region));
    }
}
