//! The crate's error type. Each kind names the Python exception SkyPilot
//! raises for the same mistake, so `py/` maps errors exhaustively.

use crate::spec::difflib::closest_match;
use crate::spec::schema::{PathElem, SchemaError, json_path};
use crate::yaml::YamlError;

/// Which Python exception an [`Error`] becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// `sky.exceptions.InvalidSkyPilotConfigError` (a `ValueError`).
    InvalidConfig,
    /// `ValueError`.
    Value,
    /// `AssertionError` (SkyPilot uses `assert` for some user errors).
    Assertion,
    /// `TypeError`.
    Type,
    /// `KeyError`; the message is the missing key (Python quotes it).
    Key,
    /// `sky.exceptions.StorageSpecError` (a `ValueError`).
    StorageSpec,
    /// `sky.exceptions.StorageSourceError`.
    StorageSource,
    /// `sky.exceptions.StorageNameError`.
    StorageName,
    /// `sky.exceptions.StorageModeError`.
    StorageMode,
    /// `sky.exceptions.NotSupportedError`.
    NotSupported,
    /// `sky.exceptions.RequestCancelled`.
    RequestCancelled,
    /// `RuntimeError`.
    Runtime,
    /// `NotImplementedError` (e.g. `estimate_runtime` without an estimator).
    NotImplemented,
    /// `FileNotFoundError`.
    FileNotFound,
    /// `OSError`.
    Os,
    /// `AttributeError` (SkyPilot calls `.items()` on what it expects to be a dict).
    Attribute,
    /// `IndexError`.
    Index,
    /// `sky.exceptions.ResourcesMismatchError`.
    ResourcesMismatch,
    /// `sky.exceptions.CommandError` (a command on a cluster failed).
    Command,
    /// `sky.exceptions.ClusterNotUpError`.
    ClusterNotUp,
    /// `sky.exceptions.ClusterDoesNotExist` (a `ValueError`).
    ClusterDoesNotExist,
    /// `sky.exceptions.ResourcesUnavailableError`.
    ResourcesUnavailable,
    /// `sky.exceptions.InvalidClusterNameError`.
    InvalidClusterName,
    /// `sky.exceptions.NoCloudAccessError`.
    NoCloudAccess,
}

impl ErrorKind {
    /// The Python class name (builtins or `sky.exceptions`).
    pub fn python_name(self) -> &'static str {
        match self {
            ErrorKind::InvalidConfig => "InvalidSkyPilotConfigError",
            ErrorKind::Value => "ValueError",
            ErrorKind::Assertion => "AssertionError",
            ErrorKind::Type => "TypeError",
            ErrorKind::Key => "KeyError",
            ErrorKind::StorageSpec => "StorageSpecError",
            ErrorKind::StorageSource => "StorageSourceError",
            ErrorKind::StorageName => "StorageNameError",
            ErrorKind::StorageMode => "StorageModeError",
            ErrorKind::NotSupported => "NotSupportedError",
            ErrorKind::RequestCancelled => "RequestCancelled",
            ErrorKind::Runtime => "RuntimeError",
            ErrorKind::NotImplemented => "NotImplementedError",
            ErrorKind::FileNotFound => "FileNotFoundError",
            ErrorKind::Os => "OSError",
            ErrorKind::Attribute => "AttributeError",
            ErrorKind::Index => "IndexError",
            ErrorKind::ResourcesMismatch => "ResourcesMismatchError",
            ErrorKind::Command => "CommandError",
            ErrorKind::ClusterNotUp => "ClusterNotUpError",
            ErrorKind::ClusterDoesNotExist => "ClusterDoesNotExist",
            ErrorKind::ResourcesUnavailable => "ResourcesUnavailableError",
            ErrorKind::InvalidClusterName => "InvalidClusterNameError",
            ErrorKind::NoCloudAccess => "NoCloudAccessError",
        }
    }
}

impl ErrorKind {
    /// The name Python's traceback prints: `sky.exceptions.X` for SkyPilot's
    /// own classes, the bare name for builtins.
    pub fn python_qualname(self) -> String {
        match self {
            ErrorKind::InvalidConfig
            | ErrorKind::StorageSpec
            | ErrorKind::StorageSource
            | ErrorKind::StorageName
            | ErrorKind::StorageMode
            | ErrorKind::NotSupported
            | ErrorKind::RequestCancelled
            | ErrorKind::ResourcesMismatch
            | ErrorKind::Command
            | ErrorKind::ClusterNotUp
            | ErrorKind::ClusterDoesNotExist
            | ErrorKind::ResourcesUnavailable
            | ErrorKind::InvalidClusterName
            | ErrorKind::NoCloudAccess => format!("sky.exceptions.{}", self.python_name()),
            _ => self.python_name().to_string(),
        }
    }
}

/// An error with SkyPilot's wording and the Python class it maps to.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    /// Which Python exception this is.
    pub kind: ErrorKind,
    /// The message, worded as SkyPilot words it.
    pub message: String,
    /// `ResourcesUnavailableError.failover_history`: what each failed
    /// provisioning attempt raised, in order (empty for other errors).
    pub failover_history: Vec<Error>,
}

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            failover_history: Vec::new(),
        }
    }
    /// A `ValueError`.
    pub fn value(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Value, message)
    }
    /// An `InvalidSkyPilotConfigError`.
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidConfig, message)
    }
    /// An `AssertionError`.
    pub fn assertion(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Assertion, message)
    }
    /// A `TypeError`.
    pub fn type_error(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Type, message)
    }
    /// The error with its failover history.
    pub fn with_failover_history(mut self, history: Vec<Error>) -> Self {
        self.failover_history = history;
        self
    }
    /// Prefixes the message with where the input came from (a file name).
    pub fn in_file(mut self, path: &str) -> Self {
        self.message = format!("{path}: {}", self.message);
        self
    }
}

impl From<YamlError> for Error {
    fn from(e: YamlError) -> Self {
        Error::value(e.to_string())
    }
}

/// Words a schema error the way `common_utils.validate_schema` does.
pub fn schema_error(prefix: &str, err: SchemaError, abs_path: &[PathElem]) -> Error {
    if err.validator == "additionalProperties" && err.direct {
        if err.has_pattern_properties && abs_path == [PathElem::Key("envs".into())] {
            return Error::config(format!(
                "{prefix}The `envs` field contains invalid keys:\n{}",
                err.message
            ));
        }
        let known: Vec<&str> = err.known_fields.iter().map(String::as_str).collect();
        let hints: Vec<String> = err
            .instance_keys
            .iter()
            .filter(|k| !known.contains(&k.as_str()))
            .map(|field| {
                let repr = crate::yaml::py_str_repr(field);
                match closest_match(field, known.iter().copied()) {
                    Some(m) => format!(
                        "Instead of {repr}, did you mean {}?",
                        crate::yaml::py_str_repr(m)
                    ),
                    None => format!("Found unsupported field {repr}."),
                }
            })
            .collect();
        return Error::config(format!("{prefix}{}", hints.join(" ")));
    }
    let message = err.message.replace("type 'object'", "type 'dict'");
    Error::config(format!(
        "{prefix}{message}. Check problematic field(s): {}",
        json_path(abs_path)
    ))
}
