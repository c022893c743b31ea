//! Task specs: `Task`, `Resources`, `Dag` and their YAML forms, accepting,
//! rejecting and normalising exactly what SkyPilot 0.14.1 does.

pub mod difflib;
pub mod infra;
pub mod resources;
pub mod resources_extras;
pub mod resources_yaml;
pub mod schema;
pub mod schema_match;
pub mod schemas;
pub mod units;

pub use resources::Resources;
pub use resources_yaml::ResourceGroup;
pub mod service;
pub mod storage;
pub mod task;
pub mod task_dump;
pub use resources_extras::AutostopConfig;
pub use task::Task;
pub mod dag;
pub mod data_utils;
pub mod docker_login;
pub mod job_group;
pub mod paths;
pub mod resources_copy;
pub mod status;
pub mod storage_types;
pub mod storage_validate;
pub mod task_mounts;
pub mod task_name;
pub mod task_update;
pub mod task_validate;
