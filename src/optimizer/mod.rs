//! SkyPilot 0.14.1's optimizer (`sky/optimizer.py`): the cheapest (or
//! fastest) launchable resources for every task of a dag, chains by dynamic
//! programming and other dags by an ILP, with SkyPilot's printed plan and
//! errors. The core prints nothing: what SkyPilot logs comes back as
//! [`LogLine`]s for the CLI or the Python logger to emit.

pub mod check_clouds;
pub mod cost;
pub mod fill;
pub mod job_group;
pub mod plan;
pub mod report;
pub mod search;
pub mod table;

pub use plan::{Candidate, Dag, Estimator, NoEstimator, Options, Plan, Target, optimize};

/// How SkyPilot logs a line (`logger.info`, `logger.warning`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// `logger.debug`.
    Debug,
    /// `logger.info`.
    Info,
    /// `logger.warning`.
    Warning,
}

/// One logged message, colour codes included as SkyPilot writes them; a
/// message may span lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// The level.
    pub level: Level,
    /// The text (without the final newline).
    pub text: String,
}

/// Messages in the order SkyPilot logs them.
pub type Log = Vec<LogLine>;

/// Appends an info message.
pub(crate) fn info(log: &mut Log, text: impl Into<String>) {
    log.push(LogLine {
        level: Level::Info,
        text: text.into(),
    });
}

/// Appends a warning.
pub(crate) fn warning(log: &mut Log, text: impl Into<String>) {
    log.push(LogLine {
        level: Level::Warning,
        text: text.into(),
    });
}

/// The log as SkyPilot's stdout handler writes it: one line per message,
/// inner newlines as `\r\n` (its `NewLineFormatter`).
pub fn render_log(log: &[LogLine]) -> String {
    let mut out = String::new();
    for line in log.iter().filter(|l| l.level != Level::Debug) {
        out.push_str(&line.text.replace('\n', "\r\n"));
        out.push('\n');
    }
    out
}

/// colorama codes SkyPilot's messages carry.
pub(crate) mod ansi {
    /// `Style.BRIGHT`.
    pub const BOLD: &str = "\x1b[1m";
    /// `Style.DIM`.
    pub const DIM: &str = "\x1b[2m";
    /// `Style.RESET_ALL`.
    pub const RESET: &str = "\x1b[0m";
    /// `Fore.GREEN`.
    pub const GREEN: &str = "\x1b[32m";
    /// `Fore.YELLOW`.
    pub const YELLOW: &str = "\x1b[33m";
    /// `Fore.CYAN`.
    pub const CYAN: &str = "\x1b[36m";
    /// `Fore.LIGHTBLACK_EX`.
    pub const GRAY: &str = "\x1b[90m";
}
