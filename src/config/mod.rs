//! SkyPilot's config layering: `~/.sky/config.yaml` (or
//! `$SKYPILOT_GLOBAL_CONFIG`), then the project's `.sky.yaml` (or
//! `$SKYPILOT_PROJECT_CONFIG`), merged key by key; `$SKYPILOT_CONFIG`
//! replaces both. Validated against SkyPilot 0.14.1's config schema, read
//! with `get_nested`, and overridden per task by a task's `config:`.

pub mod effective;
pub mod load;
pub mod nested;
pub mod redact;
pub mod schema;
mod schema_clouds;
mod schema_workspaces;
pub mod state;
pub mod validate;

pub use load::{Env, Loaded};
pub use nested::{KeyPaths, get_nested, overlay, pop_nested, recursive_update, set_nested};
pub use schema::{OVERRIDEABLE_CONFIG_KEYS_IN_TASK, config_schema, task_config_schema};

#[cfg(test)]
mod tests;
