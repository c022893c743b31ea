//! Where the CLI talks to the user: click-style echo (styled only on a
//! terminal) and `click.confirm` prompts. The task-building code writes
//! through [`Console`] so the same flow serves the CLI and the tests.

use std::io::{BufRead, IsTerminal, Write};

use crate::cli::CliError;

/// ANSI styles the CLI uses (click's `fg=` colours and `bold`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// No styling.
    Plain,
    /// `fg='cyan'`.
    Cyan,
    /// `fg='yellow'` / colorama `Fore.YELLOW`.
    Yellow,
    /// colorama `Style.BRIGHT`.
    Bold,
}

impl Style {
    fn code(self) -> &'static str {
        match self {
            Style::Plain => "",
            Style::Cyan => "\x1b[36m",
            Style::Yellow => "\x1b[33m",
            Style::Bold => "\x1b[1m",
        }
    }
}

/// A run of text with one style.
pub type Span<'a> = (&'a str, Style);

/// The user-facing side of a command.
pub trait Console {
    /// `click.secho`: prints the spans (styled only where click would) to
    /// stdout, with a newline when `nl`.
    fn echo(&mut self, spans: &[Span<'_>], nl: bool);
    /// A `logger.info/warning` line: SkyPilot's logger keeps colorama codes
    /// even off a terminal, so the spans are always styled.
    fn log(&mut self, spans: &[Span<'_>]);
    /// `click.confirm(prompt, default=False, abort=True)`: `Ok(())` on yes,
    /// [`CliError::Abort`] on no or end of input.
    fn confirm(&mut self, prompt: &[Span<'_>]) -> Result<(), CliError>;
    /// `click.confirm(prompt, default=True, abort=True)` (`[Y/n]`: an
    /// empty answer is yes).
    fn confirm_default_yes(&mut self, prompt: &str) -> Result<(), CliError>;
    /// Text for stderr (Python logging's default handler).
    fn stderr(&mut self, text: &str);
    /// `click.prompt(text, type=str)`: the answer (end of input aborts).
    fn prompt(&mut self, text: &str) -> Result<String, CliError>;
}

/// Renders spans, with ANSI codes when `color`.
pub fn render(spans: &[Span<'_>], color: bool) -> String {
    let mut out = String::new();
    for (text, style) in spans {
        if color && *style != Style::Plain {
            out.push_str(style.code());
            out.push_str(text);
            out.push_str("\x1b[0m");
        } else {
            out.push_str(text);
        }
    }
    out
}

/// `click.unstyle`: the text without ANSI escape sequences.
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' && chars.peek() == Some(&'[') {
            chars.next();
            // Parameters, then one final byte in '@'..='~'.
            for d in chars.by_ref() {
                if ('@'..='~').contains(&d) {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The process's stdout, with answers read from `input` (stdin by default).
pub struct StdConsole {
    input: Box<dyn BufRead>,
    color: bool,
}

impl StdConsole {
    /// Answers prompts from stdin.
    pub fn new() -> Self {
        Self::with_input(Box::new(std::io::stdin().lock()))
    }

    /// Answers prompts from `input` (a scripted stdin for tests).
    pub fn with_input(input: Box<dyn BufRead>) -> Self {
        // click styles only on a terminal; NO_COLOR turns it off there too.
        let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        StdConsole { input, color }
    }

    fn write(&self, text: &str) {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }
}

impl Default for StdConsole {
    fn default() -> Self {
        Self::new()
    }
}

impl Console for StdConsole {
    fn echo(&mut self, spans: &[Span<'_>], nl: bool) {
        let mut text = render(spans, self.color);
        if !self.color {
            // click.echo strips styles embedded in the text off a terminal.
            text = strip_ansi(&text);
        }
        if nl {
            text.push('\n');
        }
        self.write(&text);
    }

    fn log(&mut self, spans: &[Span<'_>]) {
        self.write(&format!("{}\n", render(spans, true)));
    }

    fn confirm(&mut self, prompt: &[Span<'_>]) -> Result<(), CliError> {
        let prompt = format!("{} [y/N]: ", render(prompt, self.color));
        self.ask(&prompt, false)
    }

    fn confirm_default_yes(&mut self, prompt: &str) -> Result<(), CliError> {
        self.ask(&format!("{prompt} [Y/n]: "), true)
    }

    fn stderr(&mut self, text: &str) {
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    }

    fn prompt(&mut self, text: &str) -> Result<String, CliError> {
        let text = if self.color {
            text.to_string()
        } else {
            strip_ansi(text)
        };
        self.write(&format!("{text}: "));
        let mut line = String::new();
        match self.input.read_line(&mut line) {
            Ok(0) | Err(_) => Err(CliError::Abort),
            Ok(_) => Ok(line.trim_end_matches(['\r', '\n']).to_string()),
        }
    }
}

impl StdConsole {
    fn ask(&mut self, prompt: &str, default: bool) -> Result<(), CliError> {
        loop {
            self.write(prompt);
            let mut line = String::new();
            match self.input.read_line(&mut line) {
                Ok(0) | Err(_) => return Err(CliError::Abort),
                Ok(_) => {}
            }
            match line.trim().to_lowercase().as_str() {
                "y" | "yes" => return Ok(()),
                "" if default => return Ok(()),
                "" | "n" | "no" => return Err(CliError::Abort),
                // click.confirm re-asks, reporting on stdout.
                _ => self.write("Error: invalid input\n"),
            }
        }
    }
}

/// Collects everything written, for tests.
#[derive(Debug, Default)]
pub struct BufferConsole {
    /// What was written to stdout (unstyled).
    pub out: String,
    /// What was written to stderr.
    pub err: String,
    /// Answers to prompts, in order; a missing answer is end of input.
    pub answers: Vec<String>,
}

impl Console for BufferConsole {
    fn echo(&mut self, spans: &[Span<'_>], nl: bool) {
        self.out.push_str(&render(spans, false));
        if nl {
            self.out.push('\n');
        }
    }

    fn log(&mut self, spans: &[Span<'_>]) {
        self.out.push_str(&render(spans, true));
        self.out.push('\n');
    }

    fn confirm(&mut self, prompt: &[Span<'_>]) -> Result<(), CliError> {
        self.out.push_str(&render(prompt, false));
        self.out.push_str(" [y/N]: ");
        if self.answers.is_empty() {
            return Err(CliError::Abort);
        }
        let answer = self.answers.remove(0);
        if matches!(answer.trim().to_lowercase().as_str(), "y" | "yes") {
            Ok(())
        } else {
            Err(CliError::Abort)
        }
    }

    fn confirm_default_yes(&mut self, prompt: &str) -> Result<(), CliError> {
        self.out.push_str(prompt);
        self.out.push_str(" [Y/n]: ");
        let answer = if self.answers.is_empty() {
            return Err(CliError::Abort);
        } else {
            self.answers.remove(0)
        };
        match answer.trim().to_lowercase().as_str() {
            "" | "y" | "yes" => Ok(()),
            _ => Err(CliError::Abort),
        }
    }

    fn stderr(&mut self, text: &str) {
        self.err.push_str(text);
    }

    fn prompt(&mut self, text: &str) -> Result<String, CliError> {
        self.out.push_str(&strip_ansi(text));
        self.out.push_str(": ");
        if self.answers.is_empty() {
            return Err(CliError::Abort);
        }
        Ok(self.answers.remove(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unstyle_drops_escape_sequences() {
        assert_eq!(strip_ansi("\x1b[36m\x1b[1mClusters\x1b[0m x"), "Clusters x");
        assert_eq!(strip_ansi("plain ├── text"), "plain ├── text");
    }
}
