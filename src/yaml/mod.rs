//! YAML values and loading with PyYAML's semantics.

mod dump;
mod load;
mod value;

pub use dump::{DumpOptions, dump};
pub use load::{YamlError, load, load_all, resolve_plain};
pub use value::{
    Map, Value, is_ascii_digits, json_to_value, py_float_repr, py_parse_float, py_parse_int,
    py_str_repr,
};
