//! CLI glue beyond `cli_main`: the task `sky launch` / `sky exec` would
//! submit, built from their argv (for tests and tools).

use std::io::Cursor;

use pyo3::exceptions::PySystemExit;
use pyo3::prelude::*;

use super::errors::to_pyerr;
use super::task::PyTask;
use crate::cli::CliError;
use crate::cli::console::StdConsole;
use crate::cli::launch::{CommandError, task_command};

/// `task_from_cli_args(["launch", "task.yaml", "--cpus", "4"])`: the
/// `sky.Task` the command builds. Output and prompts go where the CLI's
/// would (`input` answers prompts instead of stdin). Usage errors and
/// aborted prompts print as click does and raise `SystemExit`; errors
/// SkyPilot raises while building the task are raised as themselves.
#[pyfunction]
#[pyo3(signature = (argv, input=None))]
pub fn task_from_cli_args(
    py: Python<'_>,
    argv: Vec<String>,
    input: Option<String>,
) -> PyResult<Py<PyAny>> {
    let result = py.detach(|| {
        let mut console = match input {
            Some(text) => StdConsole::with_input(Box::new(Cursor::new(text.into_bytes()))),
            None => StdConsole::new(),
        };
        task_command(&argv, &mut console)
    });
    match result {
        Ok(cmd) => {
            let obj = py.import("sky")?.getattr("Task")?.call0()?;
            obj.cast::<PyTask>()?.borrow_mut().inner = cmd.task;
            Ok(obj.unbind())
        }
        Err(CommandError {
            error: CliError::Task(e),
            ..
        }) => Err(to_pyerr(e)),
        Err(CommandError {
            error: CliError::Help(text),
            ..
        }) => {
            print!("{text}");
            Err(PySystemExit::new_err(0))
        }
        Err(CommandError { error, usage }) => {
            eprint!("{}", error.stderr_text(usage));
            Err(PySystemExit::new_err(error.exit_code()))
        }
    }
}
