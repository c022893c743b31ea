//! stix: SkyPilot's interface with a Rust core.
//!
//! Layers, top to bottom: `py` (all PyO3 glue, behind the `python`
//! feature), `cli` (clap), `spec` (tasks, resources, dags), `yaml`.
//! Nothing below `py` imports pyo3 and nothing below `cli` prints.

pub mod agent;
pub mod backend;
pub mod catalog;
pub mod check;
pub mod cli;
pub mod clouds;
pub mod config;
pub mod error;
pub mod optimizer;
pub mod provision;
pub mod requests;
pub mod runner;
pub mod spec;
pub mod ssh_pools;
pub mod state;
pub mod yaml;

#[cfg(feature = "python")]
mod py;

pub use error::{Error, ErrorKind, Result};

/// stix's own version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The SkyPilot release whose interface stix reproduces (`sky.__version__`).
pub const SKYPILOT_VERSION: &str = "0.14.1";
/// The commit this build came from, when the build knew it.
pub const COMMIT: &str = match option_env!("STIX_COMMIT") {
    Some(c) => c,
    None => "unknown",
};
