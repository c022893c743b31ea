//! click's behaviour on top of clap: option value types that fail with
//! click's wording, and clap's parse errors turned into the text and exit
//! code click prints (`Usage: ...`, `Try 'sky launch -h' for help.`,
//! `Error: Invalid value for '--num-nodes': 'x' is not a valid integer.`).

use clap::error::{ContextKind, ContextValue, ErrorKind as ClapKind};

use crate::cli::dotenv::{self, Dotenv};
use crate::spec::difflib::close_matches;
use crate::yaml::{py_parse_int, py_str_repr};

/// Why a command stopped before doing its work.
#[derive(Debug, Clone, PartialEq)]
pub enum CliError {
    /// `click.UsageError` (`with_usage`) or one click prints bare (bad
    /// option syntax): exit code 2.
    Usage {
        /// The text after `Error: `.
        message: String,
        /// Whether the usage line and help hint come first.
        with_usage: bool,
    },
    /// `click.Abort` (a prompt answered no): `Aborted!`, exit code 1.
    Abort,
    /// An exception SkyPilot raises while building the task: exit code 1.
    Task(crate::Error),
    /// `-h/--help`: the text to print on stdout, exit code 0.
    Help(String),
}

impl From<crate::Error> for CliError {
    fn from(e: crate::Error) -> Self {
        CliError::Task(e)
    }
}

impl CliError {
    /// A `click.UsageError(message)` raised inside a command.
    pub fn usage(message: impl Into<String>) -> Self {
        CliError::Usage {
            message: message.into(),
            with_usage: true,
        }
    }

    /// The exit code click (or the uncaught exception) gives.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Usage { .. } => 2,
            CliError::Abort | CliError::Task(_) => 1,
            CliError::Help(_) => 0,
        }
    }

    /// What the process writes to stderr, for the command whose usage
    /// line is `usage` (`sky launch [OPTIONS] [ENTRYPOINT]...`).
    pub fn stderr_text(&self, usage: &str) -> String {
        match self {
            CliError::Usage {
                message,
                with_usage: true,
            } => {
                let path = usage.split(" [").next().unwrap_or(usage);
                format!("Usage: {usage}\nTry '{path} -h' for help.\n\nError: {message}\n")
            }
            CliError::Usage { message, .. } => format!("Error: {message}\n"),
            CliError::Abort => "Aborted!\n".to_string(),
            // SkyPilot prints these without a traceback (`ux_utils`).
            CliError::Task(e) => format!("{}: {}\n", e.kind.python_qualname(), e.message),
            CliError::Help(_) => String::new(),
        }
    }
}

/// A value that click's parameter type rejects.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ParamError {
    /// click's message for the value.
    pub message: String,
    /// `click.UsageError` from the type (printed as is) rather than
    /// `BadParameter` (printed as `Invalid value for '<opt>': ...`).
    pub bare: bool,
}

impl ParamError {
    fn bad(message: String) -> Self {
        ParamError {
            message,
            bare: false,
        }
    }
    fn usage(message: String) -> Self {
        ParamError {
            message,
            bare: true,
        }
    }
}

/// `click.INT`.
pub fn int(s: &str) -> Result<i64, ParamError> {
    py_parse_int(s)
        .ok_or_else(|| ParamError::bad(format!("{} is not a valid integer.", py_str_repr(s))))
}

/// `click.Choice(choices, case_sensitive)`: the matching choice as spelled
/// in `choices`.
pub fn choice(s: &str, choices: &[&str], case_sensitive: bool) -> Result<String, ParamError> {
    let norm = |v: &str| {
        if case_sensitive {
            v.to_string()
        } else {
            v.to_lowercase()
        }
    };
    if let Some(c) = choices.iter().find(|c| norm(c) == norm(s)) {
        return Ok(c.to_string());
    }
    let list: Vec<String> = choices.iter().map(|c| py_str_repr(c)).collect();
    Err(ParamError::bad(if choices.len() == 1 {
        format!("{} is not {}.", py_str_repr(s), list.join(", "))
    } else {
        format!("{} is not one of {}.", py_str_repr(s), list.join(", "))
    }))
}

/// `click.Path(exists=True, file_okay=False)`: an existing directory,
/// returned as given.
pub fn directory(s: &str) -> Result<String, ParamError> {
    let fail = |what: &str| ParamError::bad(format!("Directory {} {what}.", py_str_repr(s)));
    let meta = std::fs::metadata(s).map_err(|_| fail("does not exist"))?;
    if meta.is_file() {
        return Err(fail("is a file"));
    }
    if meta.is_dir() && std::fs::read_dir(s).is_err() {
        return Err(fail("is not readable"));
    }
    Ok(s.to_string())
}

/// `--env` / `--secret`: `KEY=VAL`, or `KEY` whose value comes from the
/// local environment.
pub fn key_value(s: &str) -> Result<(String, String), ParamError> {
    match s.split_once('=') {
        Some((k, v)) => Ok((k.to_string(), v.to_string())),
        None => std::env::var(s)
            .map(|v| (s.to_string(), v))
            .map_err(|_| ParamError::usage(format!("{s} is not set in local environment."))),
    }
}

/// A dotenv file that must exist (`_parse_dotenv_file`).
pub fn dotenv_file(path: &str) -> Result<Dotenv, ParamError> {
    let missing = || {
        ParamError::usage(format!(
            "Dotenv file does not exist: {path}. Provide a path to an existing file, or remove the flag."
        ))
    };
    if !std::path::Path::new(path).is_file() {
        return Err(missing());
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| ParamError::usage(format!("Dotenv file {path} could not be read: {e}")))?;
    Ok(dotenv::parse(&text, &|k| std::env::var(k).ok()))
}

fn context_str(err: &clap::Error, kind: ContextKind) -> Option<String> {
    match err.get(kind)? {
        ContextValue::String(s) => Some(s.clone()),
        ContextValue::Strings(v) => v.first().cloned(),
        _ => None,
    }
}

/// The names click knows an option by, in its order: long, aliases, short.
fn option_names(arg: &clap::Arg) -> Vec<String> {
    let mut names: Vec<String> = arg
        .get_long()
        .map(|l| format!("--{l}"))
        .into_iter()
        .collect();
    names.extend(
        arg.get_all_aliases()
            .unwrap_or_default()
            .iter()
            .map(|a| format!("--{a}")),
    );
    names.extend(arg.get_short().map(|s| format!("-{s}")));
    names
}

/// Every long option click would suggest from (hidden ones and `--help`
/// included), with `-no-d` spelled as click has it.
pub fn long_options(cmd: &clap::Command) -> Vec<String> {
    let mut longs: Vec<String> = cmd
        .get_arguments()
        .flat_map(|a| {
            let mut v: Vec<String> = a.get_long().map(|l| format!("--{l}")).into_iter().collect();
            v.extend(
                a.get_all_aliases()
                    .unwrap_or_default()
                    .iter()
                    .map(|x| format!("--{x}")),
            );
            v
        })
        .map(|l| {
            if l == format!("--{}", crate::cli::command_args::NO_D_FLAG) {
                "-no-d".to_string()
            } else {
                l
            }
        })
        .collect();
    if !longs.iter().any(|l| l == "--help") {
        longs.push("--help".to_string());
    }
    longs
}

/// `NoSuchOption(opt, possibilities)`: long options get "did you mean".
fn no_such_option(token: &str, cmd: &clap::Command) -> String {
    let opt = token.split('=').next().unwrap_or(token);
    // click tries a long option first, then the short options one by one.
    if !opt.starts_with("--") {
        let first: String = opt.chars().take(2).collect();
        return format!("No such option: {first}");
    }
    let longs = long_options(cmd);
    let mut found = close_matches(opt, longs.iter().map(String::as_str), 3, 0.6);
    found.sort();
    match found.len() {
        0 => format!("No such option: {opt}"),
        1 => format!("No such option: {opt} Did you mean {}?", found[0]),
        _ => format!(
            "No such option: {opt} (Possible options: {})",
            found.join(", ")
        ),
    }
}

/// The option as typed at the end of `argv` (`--cpus`, or `-t` from `-yt`).
fn trailing_option(argv: &[String]) -> String {
    let last = argv.last().map(String::as_str).unwrap_or_default();
    if last.starts_with("--") {
        last.to_string()
    } else {
        last.chars()
            .last()
            .map(|c| format!("-{c}"))
            .unwrap_or_default()
    }
}

/// Turns a clap parse error for `cmd` into what click reports.
pub fn from_clap(err: clap::Error, cmd: &clap::Command, argv: &[String]) -> CliError {
    match err.kind() {
        ClapKind::DisplayHelp | ClapKind::DisplayVersion => CliError::Help(err.to_string()),
        ClapKind::UnknownArgument => {
            let token = context_str(&err, ContextKind::InvalidArg).unwrap_or_default();
            CliError::usage(no_such_option(&token, cmd))
        }
        ClapKind::ValueValidation => {
            let source = std::error::Error::source(&err)
                .and_then(|s| s.downcast_ref::<ParamError>())
                .cloned();
            let shown = context_str(&err, ContextKind::InvalidArg).unwrap_or_default();
            let names = cmd
                .get_arguments()
                .find(|a| a.to_string() == shown)
                .map(option_names)
                .unwrap_or_else(|| vec![shown.clone()]);
            let hint: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
            match source {
                Some(p) if p.bare => CliError::usage(p.message),
                Some(p) => CliError::usage(format!(
                    "Invalid value for {}: {}",
                    hint.join(" / "),
                    p.message
                )),
                None => CliError::usage(err.to_string()),
            }
        }
        ClapKind::InvalidValue => CliError::Usage {
            message: format!("Option '{}' requires an argument.", trailing_option(argv)),
            with_usage: false,
        },
        ClapKind::TooManyValues | ClapKind::NoEquals => {
            let shown = context_str(&err, ContextKind::InvalidArg).unwrap_or_default();
            let opt = shown.split([' ', '=']).next().unwrap_or_default();
            CliError::Usage {
                message: format!("Option '{opt}' does not take a value."),
                with_usage: false,
            }
        }
        _ => CliError::usage(
            err.render()
                .to_string()
                .trim_start_matches("error: ")
                .trim_end()
                .to_string(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_types_word_errors_as_click() {
        assert_eq!(int(" 12 "), Ok(12));
        assert_eq!(
            int("1.5").unwrap_err().message,
            "'1.5' is not a valid integer."
        );
        assert_eq!(
            choice("HIGH", &["low", "high"], false),
            Ok("high".to_string())
        );
        assert_eq!(
            choice("fast", &["standard", "best"], false)
                .unwrap_err()
                .message,
            "'fast' is not one of 'standard', 'best'."
        );
        assert!(choice("JOBS", &["jobs", "none"], true).is_err());
        assert_eq!(key_value("A=b=c"), Ok(("A".to_string(), "b=c".to_string())));
        let err = key_value("STIX_SURELY_UNSET_VAR").unwrap_err();
        assert!(err.bare);
        assert_eq!(
            err.message,
            "STIX_SURELY_UNSET_VAR is not set in local environment."
        );
        assert_eq!(
            directory("/surely/not/here").unwrap_err().message,
            "Directory '/surely/not/here' does not exist."
        );
    }

    #[test]
    fn errors_render_as_click_prints_them() {
        let usage = "sky launch [OPTIONS] [ENTRYPOINT]...";
        assert_eq!(
            CliError::usage("boom").stderr_text(usage),
            "Usage: sky launch [OPTIONS] [ENTRYPOINT]...\nTry 'sky launch -h' for help.\n\nError: boom\n"
        );
        assert_eq!(CliError::Abort.stderr_text(usage), "Aborted!\n");
        assert_eq!(
            CliError::Task(crate::Error::value("bad")).stderr_text(usage),
            "ValueError: bad\n"
        );
    }
}
