//! YAML values, loading and dumping with PyYAML's semantics.

mod dump;
mod load;
mod value;

pub use dump::{dump_yaml_all_str, dump_yaml_str, safe_dump};
pub use load::{YamlError, load, load_all, load_all_lenient, resolve_plain};
pub use value::{
    Map, Value, is_ascii_digits, json_to_value, py_float_repr, py_parse_float, py_parse_int,
    py_str_repr,
};
