//! Task specs: `Task`, `Resources`, `Dag` and their YAML forms, accepting,
//! rejecting and normalising exactly what SkyPilot 0.14.1 does.

pub mod difflib;
pub mod schema;
pub mod schemas;
pub mod infra;
pub mod units;
pub mod resources;
pub mod resources_yaml;

pub use resources::Resources;
pub use resources_yaml::ResourceGroup;
pub mod service;
pub mod storage;
pub mod task;
pub use task::Task;
pub mod task_name;
pub mod docker_login;
