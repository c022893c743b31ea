//! SkyPilot's public catalogs (`~/.sky/catalogs/v8/<cloud>/vms.csv`, ...):
//! download and refresh exactly as SkyPilot does, a compact index cached
//! next to each CSV, and the queries SkyPilot's `sky/catalog` answers.
//!
//! Entry point: [`Catalogs`] (one per catalog directory; `Catalogs::shared()`
//! for the current `HOME`). Per-cloud rules live in `crate::clouds`.

pub mod accelerators;
pub mod az_mapping;
pub mod catalogs;
pub mod csv;
pub mod df;
pub mod fetch;
pub mod gcp;
pub mod gcp_list;
pub mod gpu_info;
pub mod images;
pub mod index;
pub mod list;
pub mod md5;
pub mod numpy_sort;
pub mod pysort;
pub mod query;
pub mod std_sort;
pub mod store;
pub mod table;

pub use catalogs::Catalogs;
pub use df::{Df, PriceCol};
pub use list::{AcceleratorListing, InstanceTypeInfo, ListFilter};
pub use query::{Accelerators, Region};
pub use table::{VmRow, VmTable};

/// `constants.CATALOG_SCHEMA_VERSION`.
pub const SCHEMA_VERSION: &str = "v8";
