//! The compact index cached next to a `vms.csv` (`vms.csv.stix.idx`): the
//! parsed table in a flat binary form, valid while the CSV's size and
//! modification time are unchanged. Loading it skips the CSV parse.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use super::gpu_info::{DeviceMemory, MissingKey};
use super::table::{Columns, VmRow, VmTable};

/// File magic and format version; bump the digit when the layout changes.
const MAGIC: &[u8; 8] = b"STIXIDX2";

/// The index file for `csv`.
pub fn index_path(csv: &Path) -> PathBuf {
    let mut name = csv.file_name().unwrap_or_default().to_os_string();
    name.push(".stix.idx");
    csv.with_file_name(name)
}

/// (size, mtime seconds, mtime nanos) of a file: what invalidates an index.
pub fn stamp(path: &Path) -> Option<(u64, u64, u32)> {
    let meta = std::fs::metadata(path).ok()?;
    let mtime = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
    Some((meta.len(), mtime.as_secs(), mtime.subsec_nanos()))
}

/// Loads the table of `csv` from its index if the index matches the CSV's
/// current stamp.
pub fn load(csv: &Path) -> Option<VmTable> {
    let want = stamp(csv)?;
    let bytes = std::fs::read(index_path(csv)).ok()?;
    decode(&bytes, want)
}

/// Writes the index for `csv`, atomically; failures (a read-only catalog
/// directory) only cost the next process a CSV parse.
pub fn save(csv: &Path, table: &VmTable) {
    let Some(stamp) = stamp(csv) else { return };
    let bytes = encode(table, stamp);
    let path = index_path(csv);
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    if std::fs::write(&tmp, bytes).is_ok() && std::fs::rename(&tmp, &path).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

/// Serializes `table` with the CSV stamp it was built from.
pub fn encode(table: &VmTable, stamp: (u64, u64, u32)) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + table.rows.len() * 112);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&stamp.0.to_le_bytes());
    out.extend_from_slice(&stamp.1.to_le_bytes());
    out.extend_from_slice(&stamp.2.to_le_bytes());
    out.extend_from_slice(&table.columns.0.to_le_bytes());
    out.extend_from_slice(&(table.strings.len() as u32).to_le_bytes());
    for s in &table.strings {
        out.extend_from_slice(&(s.len() as u32).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
    }
    out.extend_from_slice(&(table.rows.len() as u32).to_le_bytes());
    for r in &table.rows {
        for id in [
            r.instance_type,
            r.acc_name,
            r.gpu_info,
            r.region,
            r.zone,
            r.arch,
            r.local_disk_type,
        ] {
            out.extend_from_slice(&id.to_le_bytes());
        }
        for f in [
            r.acc_count,
            r.vcpus,
            r.memory,
            r.price,
            r.spot_price,
            r.local_disk_size,
            r.local_disk_count,
            r.max_efa,
            r.hosting_type,
        ] {
            out.extend_from_slice(&f.to_le_bytes());
        }
        out.push(r.nvme);
        let (tag, value) = match r.device_memory {
            DeviceMemory::GiB(v) => (0u8, v),
            DeviceMemory::ValueError => (1, 0.0),
            DeviceMemory::TypeError => (2, 0.0),
            DeviceMemory::KeyError(MissingKey::Gpus) => (3, 0.0),
            DeviceMemory::KeyError(MissingKey::MemoryInfo) => (4, 0.0),
            DeviceMemory::KeyError(MissingKey::SizeInMiB) => (5, 0.0),
        };
        out.push(tag);
        out.extend_from_slice(&value.to_le_bytes());
    }
    out
}

struct Reader<'a> {
    b: &'a [u8],
    i: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let s = self.b.get(self.i..self.i.checked_add(n)?)?;
        self.i += n;
        Some(s)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|s| s[0])
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4)?.try_into().ok().map(u32::from_le_bytes)
    }
    fn u64(&mut self) -> Option<u64> {
        self.take(8)?.try_into().ok().map(u64::from_le_bytes)
    }
    fn f64(&mut self) -> Option<f64> {
        self.take(8)?.try_into().ok().map(f64::from_le_bytes)
    }
}

/// Deserializes an index; `None` if it is corrupt or was built from a CSV
/// with another stamp.
pub fn decode(bytes: &[u8], want: (u64, u64, u32)) -> Option<VmTable> {
    let mut r = Reader { b: bytes, i: 0 };
    if r.take(8)? != MAGIC {
        return None;
    }
    let got = (r.u64()?, r.u64()?, r.u32()?);
    if got != want {
        return None;
    }
    let columns = Columns(r.u32()?);
    let n_strings = r.u32()? as usize;
    let mut strings = Vec::with_capacity(n_strings.min(bytes.len()));
    for _ in 0..n_strings {
        let len = r.u32()? as usize;
        strings.push(std::str::from_utf8(r.take(len)?).ok()?.to_string());
    }
    let n_rows = r.u32()? as usize;
    let mut rows = Vec::with_capacity(n_rows.min(bytes.len() / 100 + 1));
    for _ in 0..n_rows {
        let mut ids = [0u32; 7];
        for id in &mut ids {
            *id = r.u32()?;
            if *id != super::table::NONE && *id as usize >= n_strings {
                return None;
            }
        }
        let mut nums = [0f64; 9];
        for n in &mut nums {
            *n = r.f64()?;
        }
        let nvme = r.u8()?;
        let tag = r.u8()?;
        let value = r.f64()?;
        let device_memory = match tag {
            0 => DeviceMemory::GiB(value),
            1 => DeviceMemory::ValueError,
            2 => DeviceMemory::TypeError,
            3 => DeviceMemory::KeyError(MissingKey::Gpus),
            4 => DeviceMemory::KeyError(MissingKey::MemoryInfo),
            5 => DeviceMemory::KeyError(MissingKey::SizeInMiB),
            _ => return None,
        };
        rows.push(VmRow {
            instance_type: ids[0],
            acc_name: ids[1],
            gpu_info: ids[2],
            region: ids[3],
            zone: ids[4],
            arch: ids[5],
            local_disk_type: ids[6],
            acc_count: nums[0],
            vcpus: nums[1],
            memory: nums[2],
            price: nums[3],
            spot_price: nums[4],
            local_disk_size: nums[5],
            local_disk_count: nums[6],
            max_efa: nums[7],
            hosting_type: nums[8],
            nvme,
            device_memory,
        });
    }
    (r.i == bytes.len()).then(|| VmTable::from_parts(strings, columns, rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_stale_or_corrupt() {
        let t = VmTable::parse(
            "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,Region\n\
             p3.2xlarge,V100,1.0,8.0,61.0,\"{'Gpus': [{'MemoryInfo': {'SizeInMiB': 16384}}]}\",3.06,us-east-1\n\
             m6i.large,,,2.0,8.0,,0.096,us-east-1\n",
        );
        let stamp = (10, 20, 30);
        let bytes = encode(&t, stamp);
        let back = decode(&bytes, stamp).unwrap();
        // NaN != NaN, so compare the debug forms.
        assert_eq!(format!("{back:?}"), format!("{t:?}"));
        assert!(decode(&bytes, (10, 20, 31)).is_none());
        assert!(decode(&bytes[..bytes.len() - 1], stamp).is_none());
        assert!(decode(b"garbage", stamp).is_none());
    }
}
