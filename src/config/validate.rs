//! Config validation with SkyPilot's messages: the schema check, the extra
//! checks on `dashboard.external_links`, and the `--config` overrides.

use super::load::{Env, parse_and_validate_config_file};
use super::nested::set_nested;
use super::schema::config_schema;
use crate::error::{Error, ErrorKind, Result};
use crate::spec::resources_yaml::validate_schema;
use crate::yaml::{self, Map, Value};

/// Where SkyPilot's messages send users for the config reference.
pub const CONFIG_DOCS: &str = "https://docs.skypilot.co/en/latest/reference/config.html";

/// Template variables a dashboard link's `url` may use.
const LINK_VARIABLES: &[&str] = &["cluster_name", "job_id", "job_name", "user", "workspace"];

/// `_validate_config`: the schema, then the dashboard links.
pub fn validate_config(config: &Map, source: &str) -> Result<()> {
    let prefix = format!("Invalid config YAML from ({source}). See: {CONFIG_DOCS}. Error: ");
    validate_schema(&Value::Map(config.clone()), config_schema(), &prefix, false)?;
    validate_dashboard_links(config, source)
}

/// The check `override_skypilot_config` runs on the merged config.
pub fn validate_merged(config: &Map) -> Result<()> {
    let prefix = format!("Invalid config. See: {CONFIG_DOCS}. Error: ");
    validate_schema(&Value::Map(config.clone()), config_schema(), &prefix, false)
}

fn validate_dashboard_links(config: &Map, source: &str) -> Result<()> {
    let Some(Value::Map(dashboard)) = config.get("dashboard") else {
        return Ok(());
    };
    let Some(Value::Seq(links)) = dashboard.get("external_links") else {
        return Ok(());
    };
    for (idx, entry) in links.iter().enumerate() {
        let Value::Map(entry) = entry else { continue };
        if let Some(Value::Str(regex)) = entry.get("regex")
            && let Some(e) = py_regex_error(regex)
        {
            return Err(Error::value(format!(
                "Invalid config YAML from ({source}). dashboard.external_links[{idx}].regex is not a valid regex: {} ({e}).",
                yaml::py_str_repr(regex)
            )));
        }
        if let Some(Value::Str(url)) = entry.get("url") {
            let mut rest = url.as_str();
            while let Some(start) = rest.find("${") {
                let after = &rest[start + 2..];
                let Some(end) = after.find('}') else { break };
                let var = &after[..end];
                if !LINK_VARIABLES.contains(&var) {
                    return Err(Error::value(format!(
                        "Invalid config YAML from ({source}). dashboard.external_links[{idx}].url references an unknown template variable ${{{var}}}. Allowed variables: {}.",
                        LINK_VARIABLES.join(", ")
                    )));
                }
                rest = &after[end + 1..];
            }
        }
    }
    Ok(())
}

/// Where a `(?...)` group's body starts, skipping its extension prefix.
fn skip_extension(chars: &[char], i: usize) -> usize {
    let mut j = i;
    match chars.get(j) {
        Some('P') if chars.get(j + 1) == Some(&'<') => {
            while j < chars.len() && chars[j] != '>' {
                j += 1;
            }
            j + 1
        }
        Some('<') => j + 2,
        Some(':' | '=' | '!' | '>') => j + 1,
        _ => {
            // Inline flags such as `(?i)` or `(?i:...)`.
            while j < chars.len() && chars[j].is_ascii_alphabetic() || chars.get(j) == Some(&'-') {
                j += 1;
            }
            if chars.get(j) == Some(&':') { j + 1 } else { j }
        }
    }
}

/// The `re.error` Python's `re.compile` raises for the common mistakes
/// (unbalanced groups and sets, misplaced repeats, a trailing backslash).
pub fn py_regex_error(pattern: &str) -> Option<String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut open: Vec<usize> = Vec::new();
    let mut can_repeat = false;
    let mut after_repeat = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let mut repeat = false;
        match c {
            '\\' => {
                if i + 1 >= chars.len() {
                    return Some(format!("bad escape (end of pattern) at position {i}"));
                }
                i += 1;
                can_repeat = true;
            }
            '[' => {
                let start = i;
                i += 1;
                if chars.get(i) == Some(&'^') {
                    i += 1;
                }
                if chars.get(i) == Some(&']') {
                    i += 1;
                }
                loop {
                    match chars.get(i) {
                        None => {
                            return Some(format!("unterminated character set at position {start}"));
                        }
                        Some('\\') => i += 2,
                        Some(']') => break,
                        Some(_) => i += 1,
                    }
                }
                can_repeat = true;
            }
            '(' => {
                open.push(i);
                if chars.get(i + 1) == Some(&'?') {
                    if chars.get(i + 2) == Some(&'#') {
                        while i < chars.len() && chars[i] != ')' {
                            i += 1;
                        }
                        open.pop();
                        can_repeat = false;
                        i += 1;
                        continue;
                    }
                    i = skip_extension(&chars, i + 2);
                    can_repeat = false;
                    after_repeat = false;
                    continue;
                }
                can_repeat = false;
            }
            ')' => {
                if open.pop().is_none() {
                    return Some(format!("unbalanced parenthesis at position {i}"));
                }
                can_repeat = true;
            }
            '*' | '+' | '?' => {
                if after_repeat {
                    return Some(format!("multiple repeat at position {i}"));
                }
                if !can_repeat {
                    return Some(format!("nothing to repeat at position {i}"));
                }
                repeat = true;
                // A lazy (`*?`) or possessive (`*+`) marker belongs to it.
                if matches!(chars.get(i + 1), Some('?' | '+')) {
                    i += 1;
                }
            }
            '|' | '^' | '$' => can_repeat = false,
            _ => can_repeat = true,
        }
        after_repeat = repeat;
        if repeat {
            can_repeat = false;
        }
        i += 1;
    }
    open.last()
        .map(|pos| format!("missing ), unterminated subpattern at position {pos}"))
}

/// `_compose_cli_config`: the `--config` values (one config file, or
/// `key.path=value` pairs) as a checked config; `args` came as a list.
pub fn compose_cli_config(env: &Env, args: &[String]) -> Result<Map> {
    compose(env, args, false)
}

/// `compose_cli_config` for click's `--config` values, which arrive as a
/// tuple (and are named so in the error).
pub fn compose_click_config(env: &Env, args: &[String]) -> Result<Map> {
    compose(env, args, true)
}

fn compose(env: &Env, args: &[String], tuple: bool) -> Result<Map> {
    let Some(first) = args.first() else {
        return Ok(Map::new());
    };
    let wrap = |e: Error| -> Error {
        // Only ValueErrors (InvalidSkyPilotConfigError is one) are reworded.
        if !matches!(e.kind, ErrorKind::Value | ErrorKind::InvalidConfig) {
            return e;
        }
        let list = Value::Seq(args.iter().map(|a| Value::from(a.as_str())).collect());
        let shown = match (tuple, args.len()) {
            (false, _) => list.py_repr(),
            (true, 1) => format!("({},)", Value::from(first.as_str()).py_repr()),
            (true, _) => format!(
                "({})",
                list.py_repr().trim_start_matches('[').trim_end_matches(']')
            ),
        };
        Error::value(format!(
            "Invalid config override: {}. Check if config file exists or if the dotlist is formatted as: key1=value1,key2=value2.\nDetails: {}",
            shown, e.message
        ))
    };
    let path = env.expanduser(first);
    let (config, source) = if env.on_disk(&path).is_file() {
        if args.len() != 1 {
            return Err(wrap(Error::value(
                "Cannot use multiple --config flags with a config file.",
            )));
        }
        let file = parse_and_validate_config_file(env, &path).map_err(wrap)?;
        (file.config, path)
    } else {
        (parse_dotlist(args).map_err(wrap)?, "CLI".to_string())
    };
    validate_config(&config, &source).map_err(wrap)?;
    Ok(config)
}

/// `_parse_dotlist`: `a.b=value` pairs, values read as YAML.
fn parse_dotlist(args: &[String]) -> Result<Map> {
    let mut config = Map::new();
    for arg in args {
        let bad = || {
            Error::value(format!(
                "Invalid config override: {arg}. Please use the format: key=value"
            ))
        };
        let (key, value) = arg.split_once('=').ok_or_else(bad)?;
        if key.is_empty() || value.is_empty() {
            return Err(bad());
        }
        let value = yaml::load(value)?;
        let keys: Vec<Value> = key.split('.').map(Value::from).collect();
        set_nested(&mut config, &keys, value)?;
    }
    Ok(config)
}
