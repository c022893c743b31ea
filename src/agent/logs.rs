//! `sky logs` on the head (`log_lib.tail_logs`): prints a job's `run.log`
//! from the `Waiting for task resources` line on, optionally only the last
//! N lines, follows it while the job runs, ends with `✓ Job finished
//! (status: ...)` and returns SkyPilot's exit code.

use std::fs::File;
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use super::db::JobsDb;
use super::jobs::{self, JobStatus, exit_codes};
use super::script::{LOG_FILE_START_STREAMING_AT, ansi, finishing_message};
use crate::error::Result;

const WAITING_GAP: Duration = Duration::from_secs(1);
const WAITING_MAX_RETRY: u32 = 5;
const TAILING_GAP: Duration = Duration::from_millis(200);
const PEEK_HEAD_LINES: usize = 20;
/// How often a follower re-checks drivers, so a dead one cannot hang it.
const RECONCILE_EVERY: Duration = Duration::from_secs(5);

/// What to print.
#[derive(Debug, Clone, Default)]
pub struct TailOptions {
    /// The job; the latest when `None`.
    pub job_id: Option<i64>,
    /// Keep printing while the job runs.
    pub follow: bool,
    /// Only the last N lines (0: all).
    pub tail: usize,
}

fn is_live(s: Option<JobStatus>) -> bool {
    matches!(
        s,
        Some(JobStatus::SettingUp | JobStatus::Pending | JobStatus::Running)
    )
}

fn read_lines(path: &Path) -> Vec<String> {
    let Ok(f) = File::open(path) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut reader = BufReader::new(f);
    let mut buf = Vec::new();
    while reader.read_until(b'\n', &mut buf).is_ok_and(|n| n > 0) {
        out.push(String::from_utf8_lossy(&buf).into_owned());
        buf.clear();
    }
    out
}

/// The last `tail` lines and whether all of them should print
/// (`_should_stream_the_whole_tail_lines`).
fn tail_selection(lines: &[String], tail: usize) -> (Vec<String>, bool) {
    let start = lines.len().saturating_sub(tail);
    let tail_lines = lines[start..].to_vec();
    let marker_in_tail_head = tail_lines
        .iter()
        .take(PEEK_HEAD_LINES)
        .any(|l| l.contains(LOG_FILE_START_STREAMING_AT));
    let marker_in_file_head = lines
        .iter()
        .take(PEEK_HEAD_LINES)
        .any(|l| l.contains(LOG_FILE_START_STREAMING_AT));
    (tail_lines, !marker_in_tail_head && marker_in_file_head)
}

fn print_from_marker(lines: &[String], mut streaming: bool, out: &mut dyn Write) -> bool {
    for line in lines {
        if line.contains(LOG_FILE_START_STREAMING_AT) {
            streaming = true;
        }
        if streaming {
            let _ = out.write_all(line.as_bytes());
        }
    }
    let _ = out.flush();
    streaming
}

/// Tails a job's logs; returns `JobExitCode` for the job's final status.
pub fn tail_logs(
    home: &Path,
    opts: &TailOptions,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<i32> {
    let mut db = JobsDb::open(home)?;
    let Some(job_id) = opts.job_id.or(jobs::latest_job_id(&db)?) else {
        let _ = writeln!(out, "Skip streaming logs as no job has been submitted.");
        return Ok(exit_codes::NOT_FOUND);
    };
    let Some(record) = jobs::get_job(&db, job_id)? else {
        let _ = writeln!(err, "Job {job_id} not found (see `sky queue`).");
        return Ok(exit_codes::NOT_FOUND);
    };
    let log_path = super::expand(home, &format!("{}/run.log", record.log_path));
    jobs::update_status(&mut db, home)?;
    let mut status = jobs::get_status(&db, job_id)?;
    let mut retries = 0;
    while status.is_some_and(|s| !s.is_terminal()) {
        retries += 1;
        if log_path.exists() && status != Some(JobStatus::Init) {
            break;
        }
        if retries >= WAITING_MAX_RETRY {
            let s = status.map_or("None", JobStatus::as_str);
            let _ = writeln!(
                out,
                "{}ERROR: Logs for job {job_id} (status: {s}) does not exist after retrying \
                 {retries} times.{}",
                ansi::RED,
                ansi::RESET
            );
            return Ok(exit_code(&db, job_id, opts.follow));
        }
        let _ = writeln!(out, "INFO: Waiting 1s for the logs to be written...");
        let _ = out.flush();
        std::thread::sleep(WAITING_GAP);
        jobs::update_status(&mut db, home)?;
        status = jobs::get_status(&db, job_id)?;
    }

    if opts.follow && is_live(status) {
        let mut streaming = false;
        let mut start_pos = 0;
        if opts.tail > 0 {
            let lines = read_lines(&log_path);
            let (tail_lines, whole) = tail_selection(&lines, opts.tail);
            streaming = print_from_marker(&tail_lines, whole, out);
            start_pos = lines.iter().map(|l| l.len() as u64).sum();
        }
        follow(&mut db, home, job_id, &log_path, start_pos, streaming, out)?;
    } else if log_path.exists() || status.is_none() {
        let lines = read_lines(&log_path);
        if opts.tail > 0 {
            let (tail_lines, whole) = tail_selection(&lines, opts.tail);
            print_from_marker(&tail_lines, whole, out);
        } else {
            print_from_marker(&lines, false, out);
        }
        if let Some(s) = status.filter(|s| s.is_terminal()) {
            let msg = format!("Job finished (status: {}).", s.as_str());
            let _ = writeln!(out, "{}", finishing_message(&msg));
        }
    } else {
        let s = status.map_or("None", JobStatus::as_str);
        let _ = writeln!(
            out,
            "{}ERROR: Logs for job {job_id} (status: {s}) does not exist.{}",
            ansi::RED,
            ansi::RESET
        );
    }
    let _ = out.flush();
    Ok(exit_code(&db, job_id, opts.follow))
}

fn exit_code(db: &JobsDb, job_id: i64, follow: bool) -> i32 {
    let code = JobStatus::exit_code(jobs::get_status(db, job_id).ok().flatten());
    if !follow && code == exit_codes::NOT_FINISHED {
        0
    } else {
        code
    }
}

/// `_follow_job_logs`: prints complete lines as they are written until
/// the job is no longer live, then the finishing line.
fn follow(
    db: &mut JobsDb,
    home: &Path,
    job_id: i64,
    path: &Path,
    start_pos: u64,
    mut streaming: bool,
    out: &mut dyn Write,
) -> Result<()> {
    let mut file = File::open(path).ok();
    if let Some(f) = file.as_mut() {
        let _ = f.seek(SeekFrom::Start(start_pos));
    }
    let mut reader = file.map(BufReader::new);
    let mut pending = String::new();
    let mut status = jobs::get_status(db, job_id)?;
    let mut drained_after_end = false;
    let mut last_reconcile = Instant::now();
    loop {
        let mut buf = Vec::new();
        let n = reader
            .as_mut()
            .map_or(0, |r| r.read_until(b'\n', &mut buf).unwrap_or(0));
        if n > 0 {
            pending.push_str(&String::from_utf8_lossy(&buf));
            if pending.contains('\n') || pending.contains('\r') {
                if pending.contains(LOG_FILE_START_STREAMING_AT) {
                    streaming = true;
                }
                if streaming {
                    let _ = out.write_all(pending.as_bytes());
                    let _ = out.flush();
                }
                pending.clear();
            }
            continue;
        }
        if !is_live(status) {
            if !drained_after_end {
                // One more pass for lines written just before the end.
                drained_after_end = true;
                std::thread::sleep(TAILING_GAP);
                continue;
            }
            let s = status.map_or("None", JobStatus::as_str);
            let msg = format!("Job finished (status: {s}).");
            let _ = writeln!(out, "{}", finishing_message(&msg));
            let _ = out.flush();
            return Ok(());
        }
        std::thread::sleep(TAILING_GAP);
        if reader.is_none() {
            reader = File::open(path).ok().map(BufReader::new);
        }
        if last_reconcile.elapsed() >= RECONCILE_EVERY {
            jobs::update_status(db, home)?;
            last_reconcile = Instant::now();
        }
        status = jobs::get_status(db, job_id)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_selection_rules() {
        let lines: Vec<String> = [
            "x\n",
            "Waiting for task resources on 1 node.\n",
            "a\n",
            "b\n",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let (t, whole) = tail_selection(&lines, 2);
        assert_eq!(t, ["a\n", "b\n"]);
        assert!(whole, "the marker is above the tail: print every tail line");
        let (_, whole) = tail_selection(&lines, 3);
        assert!(!whole, "the marker is in the tail: print from it");
    }
}
