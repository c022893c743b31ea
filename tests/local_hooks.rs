//! Lifecycle hooks on the local infra: `config.hooks` run on the head
//! before `sky down` / `sky stop` and before an autostop, with
//! `$SKYPILOT_HOOK_EVENT` set and their output in `~/.sky/hooks/<event>.log`.

mod common;

use common::*;
use stix::backend::{self, LaunchOptions};
use stix::state::ClusterStatus;

/// A task whose hook appends the event to `out` (outside the sandbox, so
/// it outlives `sky down`).
fn hooked(out: &std::path::Path) -> String {
    format!(
        "run: echo hi\nconfig:\n  hooks:\n    - run: echo saved-$SKYPILOT_HOOK_EVENT >> {}\n",
        out.display()
    )
}

#[test]
fn hooks_run_before_down_stop_and_autostop() {
    let w = World::new("hooks");
    // SAFETY: tests in this binary run one at a time.
    unsafe {
        std::env::set_var("STIX_AGENT_MINUTE_SECONDS", "1");
        std::env::set_var("STIX_AGENT_TICK_SECONDS", "0.2");
    }
    let mut state = w.state();
    let launch = |state: &mut stix::state::StateDb, name: &str, idle: Option<i64>| {
        let opts = LaunchOptions {
            cluster_name: Some(name.into()),
            idle_minutes_to_autostop: idle,
            ..Default::default()
        };
        let out = std::env::temp_dir().join(format!("stix-hook-{name}-{}", std::process::id()));
        let _ = std::fs::remove_file(&out);
        let r = backend::launch(state, &task(&hooked(&out)), &opts, &mut quiet()).unwrap();
        let (_, code) = logs(state, name, r.job_id, true);
        assert_eq!(code, 0);
    };
    let ckpt = |name: &str| {
        let out = std::env::temp_dir().join(format!("stix-hook-{name}-{}", std::process::id()));
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        let _ = std::fs::remove_file(&out);
        text
    };

    launch(&mut state, "h1", None);
    backend::stop(&mut state, "h1", false).unwrap();
    assert_eq!(ckpt("h1"), "saved-stop\n");
    let log = read(&w.cluster_root("h1").join("node-0/.sky/hooks/stop.log"));
    assert!(
        log.contains("Stop hook executed successfully (1/1, timeout=3600s)."),
        "{log}"
    );

    // Autostop fires the stop hooks on the head before it stops the nodes.
    launch(&mut state, "h2", Some(1));
    wait_for(30, "autostopped", || {
        let s = backend::refresh_cluster(&mut state, "h2", true).unwrap();
        (s.map(|r| r.status) == Some(ClusterStatus::Stopped)).then_some(())
    });
    assert_eq!(ckpt("h2"), "saved-stop\n");

    // `sky down` runs the down hooks while the head is still there.
    launch(&mut state, "h3", None);
    backend::down(&mut state, "h3", false).unwrap();
    assert_eq!(ckpt("h3"), "saved-down\n");
    assert!(!w.cluster_root("h3").exists(), "down removes the sandbox");
    for c in ["h1", "h2"] {
        backend::down(&mut state, c, false).unwrap();
    }
    // Stopped clusters run no hooks on down (their head is not up).
    assert_eq!(ckpt("h1"), "");
}
