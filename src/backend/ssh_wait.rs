//! Waiting for freshly provisioned nodes to accept SSH before the runtime
//! is deployed on them: a cloud instance is "running" well before sshd
//! listens. Bounded, with an error naming the host that never answered.

use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorKind, Result};
use crate::runner::RunnerSpec;

/// How long to wait for a node's SSH port by default (SkyPilot waits a
/// few minutes for a new instance's sshd).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);
/// The longest connection attempt.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The first connection attempt.
const FIRST_ATTEMPT: Duration = Duration::from_millis(250);

/// The wait's bound: `STIX_SSH_WAIT_TIMEOUT` seconds (tests shorten it).
fn timeout() -> Duration {
    std::env::var("STIX_SSH_WAIT_TIMEOUT")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map_or(DEFAULT_TIMEOUT, Duration::from_secs_f64)
}

static WAITED_NANOS: AtomicU64 = AtomicU64::new(0);

/// Time this process spent waiting for nodes to accept SSH (a new
/// instance booting), for the launch-overhead benchmark: like the cloud
/// API's own time, it is not stix's overhead.
pub fn waited() -> Duration {
    Duration::from_nanos(WAITED_NANOS.load(Ordering::Relaxed))
}

/// Waits until every SSH node's port accepts TCP connections (local
/// sandboxes and nodes reached another way are not waited for).
pub fn wait_for_ssh(cluster: &str, runners: &[RunnerSpec]) -> Result<()> {
    let start = Instant::now();
    let r = wait_all(cluster, runners);
    WAITED_NANOS.fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
    r
}

fn wait_all(cluster: &str, runners: &[RunnerSpec]) -> Result<()> {
    let deadline = Instant::now() + timeout();
    for spec in runners {
        let RunnerSpec::Ssh {
            host,
            port,
            proxy_jump: None,
            ..
        } = spec
        else {
            continue;
        };
        wait_one(cluster, host, *port, deadline)?;
    }
    Ok(())
}

fn wait_one(cluster: &str, host: &str, port: u16, deadline: Instant) -> Result<()> {
    // A SYN sent before a new instance's network is up is lost, and the
    // kernel resends it only after a second; a fresh short attempt finds
    // the node sooner. Attempts that time out grow (slow links still
    // connect), refused ones (sshd not up yet) retry at the same length.
    let mut attempt = FIRST_ATTEMPT;
    loop {
        let reached = (host, port).to_socket_addrs().is_ok_and(|mut addrs| {
            addrs.any(|a| {
                let left = deadline.saturating_duration_since(Instant::now());
                let t = attempt.min(left).max(Duration::from_millis(100));
                match TcpStream::connect_timeout(&a, t) {
                    Ok(_) => true,
                    Err(e) => {
                        if e.kind() == std::io::ErrorKind::TimedOut {
                            attempt = (attempt * 2).min(CONNECT_TIMEOUT);
                        }
                        false
                    }
                }
            })
        });
        if reached {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(Error::new(
                ErrorKind::Runtime,
                format!(
                    "Failed to SSH to {host} (port {port}) of cluster {cluster:?}: the node did \
                     not accept SSH connections within {}s.",
                    timeout().as_secs()
                ),
            ));
        }
        // Short: a booting node is polled with cheap connects, and every
        // tick of lag is added to the launch.
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreachable_host_is_named() {
        // Port 1 of localhost refuses at once; a zero bound gives up after
        // the first try.
        let deadline = Instant::now();
        let e = wait_one("c", "127.0.0.1", 1, deadline).unwrap_err();
        assert!(e.message.contains("127.0.0.1"), "{}", e.message);
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        wait_one("c", "127.0.0.1", port, Instant::now()).unwrap();
    }
}
