//! `SshRunner` against the namespace test hosts (scripts/testhosts.sh):
//! the same env/cwd/stdin/exit-code/stream/timeout semantics as the local
//! runner, rsync with the ignore rules, connection errors naming the host,
//! port forwarding, and the multiplexed command latency.

mod ssh_support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use stix::error::ErrorKind;
use stix::runner::{CommandRunner, RunRequest, RunnerSpec, Stream};

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("stix-sshr-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn runs_with_env_cwd_stdin_and_exit_codes() {
    let Some(th) = ssh_support::hosts("runs_with_env_cwd_stdin_and_exit_codes", 1) else {
        return;
    };
    let r = th.spec(0).runner();
    let mut req =
        RunRequest::bash("mkdir -p ~/w; echo $HOME; echo \"$FOO\"; cat; echo err >&2; exit 3")
            .with_stdin("in put\n");
    req.env.push(("FOO".into(), "a 'b' $c".into()));
    let out = r.run(&req, None).unwrap();
    assert_eq!(out.stdout, "/root\na 'b' $c\nin put\n");
    assert_eq!(out.stderr, "err\n");
    assert_eq!(out.code, 3);

    let mut req = RunRequest::new(["pwd"]);
    req.cwd = Some("~/w".into());
    assert_eq!(r.run(&req, None).unwrap().stdout, "/root/w\n");
    req.cwd = Some("/tmp".into());
    assert_eq!(r.run(&req, None).unwrap().stdout, "/tmp\n");

    let missing = r
        .run(&RunRequest::new(["no-such-command-x"]), None)
        .unwrap();
    assert_eq!(missing.code, 127);
    let killed = r.run(&RunRequest::bash("kill -9 $$"), None).unwrap();
    assert_eq!(killed.code, 137);
    // The host's home is its own: nothing of this machine's /root.
    let ls = r
        .run(&RunRequest::bash("ls -A ~ | sort | tr '\\n' ' '"), None)
        .unwrap();
    assert!(!ls.stdout.contains(".cargo"), "{}", ls.stdout);
}

#[test]
fn streams_lines_and_times_out() {
    let Some(th) = ssh_support::hosts("streams_lines_and_times_out", 1) else {
        return;
    };
    let r = th.spec(0).runner();
    let mut lines = Vec::new();
    let mut sink = |s: Stream, l: &str| lines.push((s, l.to_string()));
    let out = r
        .run(
            &RunRequest::bash("echo a; echo b >&2; printf 'no newline'"),
            Some(&mut sink),
        )
        .unwrap();
    assert_eq!(out.code, 0);
    assert!(out.stdout.is_empty());
    assert!(lines.contains(&(Stream::Stdout, "a\n".into())));
    assert!(lines.contains(&(Stream::Stderr, "b\n".into())));
    assert!(lines.contains(&(Stream::Stdout, "no newline".into())));

    let start = Instant::now();
    let req = RunRequest::bash("sleep 30 & sleep 31; echo never")
        .with_timeout(Duration::from_millis(800));
    let out = r.run(&req, None).unwrap();
    assert_eq!(out.code, 124);
    assert!(start.elapsed() < Duration::from_secs(8));
    // The whole process group went, background child included.
    let left = r
        .run(&RunRequest::bash("pgrep -f 'sleep 3[01]' || true"), None)
        .unwrap();
    assert_eq!(left.stdout, "", "left behind: {}", left.stdout);
}

#[test]
fn rsync_up_and_down_with_ignore_rules() {
    let Some(th) = ssh_support::hosts("rsync_up_and_down_with_ignore_rules", 1) else {
        return;
    };
    let r = th.spec(0).runner();
    let root = tmp("rsync");
    let src = root.join("src dir");
    let write = |p: &str, t: &str| {
        let p = src.join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, t).unwrap();
    };
    write(".gitignore", "*.log\n/build/\n");
    write(".git/info/exclude", "secret.txt\n");
    write("a.py", "a");
    write("x.log", "x");
    write("secret.txt", "s");
    write("build/out", "o");
    write("sub/build/keep", "k");
    write("sub/.gitignore", "local_only\n");
    write("sub/local_only", "l");
    r.rsync_up(&src, "~/sky_workdir").unwrap();
    let listing = r
        .run(
            &RunRequest::bash("cd ~/sky_workdir && find . -type f | sort | tr '\\n' ' '"),
            None,
        )
        .unwrap();
    assert_eq!(
        listing.stdout.trim(),
        "./.git/info/exclude ./.gitignore ./a.py ./sub/.gitignore ./sub/build/keep"
    );
    // A file to a path whose parent does not exist yet.
    r.rsync_up(&src.join("a.py"), "/tmp/deep/er/a.py").unwrap();
    let cat = r
        .run(&RunRequest::new(["cat", "/tmp/deep/er/a.py"]), None)
        .unwrap();
    assert_eq!(cat.stdout, "a");

    let down = root.join("down");
    r.rsync_down("~/sky_workdir/", &down).unwrap();
    assert!(down.join("a.py").exists());
    assert!(down.join("sub/build/keep").exists());
    r.rsync_down("~/sky_workdir/a.py", &root.join("one/a_copy.py"))
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(root.join("one/a_copy.py")).unwrap(),
        "a"
    );

    let err = r.rsync_up(&root.join("missing"), "~/x").unwrap_err();
    assert_eq!(err.kind, ErrorKind::Command);
    assert!(
        err.message.starts_with("Failed to rsync up"),
        "{}",
        err.message
    );
}

#[test]
fn connection_errors_name_the_host() {
    let Some(th) = ssh_support::hosts("connection_errors_name_the_host", 1) else {
        return;
    };
    let dir = tmp("badkey");
    let key = dir.join("id");
    let ok = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .status()
        .unwrap();
    assert!(ok.success());
    let RunnerSpec::Ssh { host, .. } = th.spec(0) else {
        unreachable!()
    };
    let bad = RunnerSpec::Ssh {
        node_id: "bad".into(),
        host: host.clone(),
        port: 22,
        user: "root".into(),
        identity_file: Some(key),
        proxy_jump: None,
        home: None,
    };
    let r = bad.runner();
    assert!(!r.check_connection());
    let err = r.run(&RunRequest::new(["true"]), None).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Command);
    assert!(
        err.message
            .starts_with(&format!("Failed to connect to root@{host}:22: ")),
        "{}",
        err.message
    );
    assert!(err.message.contains("Permission denied"), "{}", err.message);

    let nobody = RunnerSpec::Ssh {
        node_id: "gone".into(),
        host: "10.213.0.254".into(),
        port: 22,
        user: "root".into(),
        identity_file: Some(th.key.clone()),
        proxy_jump: None,
        home: None,
    };
    let start = Instant::now();
    let err = nobody
        .runner()
        .run(&RunRequest::new(["true"]), None)
        .unwrap_err();
    assert!(
        err.message
            .starts_with("Failed to connect to root@10.213.0.254:22: "),
        "{}",
        err.message
    );
    assert!(start.elapsed() < Duration::from_secs(15));
}

#[test]
fn proxy_jump_and_port_forward() {
    let Some(th) = ssh_support::hosts("proxy_jump_and_port_forward", 2) else {
        return;
    };
    // Host 1 reached through host 0 (the key is this machine's; the hop
    // gets the same options).
    let RunnerSpec::Ssh { host: jump, .. } = th.spec(0) else {
        unreachable!()
    };
    let mut via = th.spec(1);
    if let RunnerSpec::Ssh { proxy_jump, .. } = &mut via {
        *proxy_jump = Some(format!("root@{jump}"));
    }
    let out = via
        .runner()
        .run(&RunRequest::new(["hostname"]), None)
        .unwrap();
    assert_eq!(out.stdout.trim(), th.hosts[1].name);

    let spec = th.spec(0);
    let target = spec.ssh_target().unwrap();
    let runner = stix::runner::SshRunner::new("n0", target);
    let serve = RunRequest::bash(
        "cd /tmp; nohup python3 -m http.server 18080 --bind 127.0.0.1 >/dev/null 2>&1 & \
         for i in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/18080) 2>/dev/null && break; sleep 0.1; done",
    );
    runner.run(&serve, None).unwrap();
    let port = 18000 + (std::process::id() % 1000) as u16;
    runner
        .forward_local_port(port, "127.0.0.1", 18080, true)
        .unwrap();
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    use std::io::{Read, Write};
    s.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let mut body = String::new();
    s.read_to_string(&mut body).unwrap();
    assert!(body.starts_with("HTTP/1.0 200"), "{body}");
    runner
        .forward_local_port(port, "127.0.0.1", 18080, false)
        .unwrap();
    let _ = runner.run(&RunRequest::bash("pkill -f 'http.server 18080'"), None);
}

#[test]
fn multiplexed_commands_are_fast_and_concurrent() {
    let Some(th) = ssh_support::hosts("multiplexed_commands_are_fast_and_concurrent", 1) else {
        return;
    };
    let r = th.spec(0).runner();
    assert!(r.check_connection());
    let mut times = Vec::new();
    for _ in 0..50 {
        let t = Instant::now();
        assert_eq!(r.run(&RunRequest::new(["true"]), None).unwrap().code, 0);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    eprintln!(
        "multiplexed `true`: p50 {:.2} ms, mean {mean:.2} ms, max {:.2} ms (n=50)",
        times[25], times[49]
    );
    assert!(times[25] < 100.0, "p50 {} ms", times[25]);
    std::thread::scope(|s| {
        for i in 0..16 {
            let r = &r;
            s.spawn(move || {
                let out = r
                    .run(&RunRequest::new(["echo", &i.to_string()]), None)
                    .unwrap();
                assert_eq!(out.stdout, format!("{i}\n"));
            });
        }
    });
}

/// Runs `sleep 60` on the host, breaks the host with `verb` a moment in,
/// and returns how long the command took to come back and what it said.
fn break_mid_command(
    d: &ssh_support::Disposable,
    verb: &str,
) -> (Duration, stix::error::Result<stix::runner::RunOutput>) {
    let r = d.hosts.spec(0).runner();
    assert_eq!(r.run(&RunRequest::new(["true"]), None).unwrap().code, 0);
    std::thread::scope(|s| {
        let started = Instant::now();
        let job = s.spawn(|| {
            let mut sink = |_: Stream, _: &str| {};
            let out = r.run(&RunRequest::bash("echo up; sleep 60"), Some(&mut sink));
            (Instant::now(), out)
        });
        std::thread::sleep(Duration::from_millis(700));
        let broken = Instant::now();
        d.break_it(verb);
        let (done, out) = job.join().unwrap();
        assert!(done.duration_since(started) < Duration::from_secs(59));
        (done.duration_since(broken), out)
    })
}

#[test]
fn a_killed_host_fails_the_running_command_at_once() {
    let Some(d) = ssh_support::disposable("a_killed_host_fails_the_running_command_at_once", "k")
    else {
        return;
    };
    let prefix = format!("Failed to connect to root@{}:22: ", d.hosts.hosts[0].ip);
    let (took, out) = break_mid_command(&d, "kill-host");
    eprintln!("killed host: the running command returned after {took:?}: {out:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    let err = out.unwrap_err();
    assert!(err.message.starts_with(&prefix), "{}", err.message);
    // The next command fails fast too, naming the host.
    let t = Instant::now();
    let err = d
        .hosts
        .spec(0)
        .runner()
        .run(&RunRequest::new(["true"]), None)
        .unwrap_err();
    assert!(err.message.starts_with(&prefix), "{}", err.message);
    assert!(t.elapsed() < Duration::from_secs(15), "{:?}", t.elapsed());
}

#[test]
fn an_unplugged_host_fails_the_running_command_within_seconds() {
    let Some(d) = ssh_support::disposable(
        "an_unplugged_host_fails_the_running_command_within_seconds",
        "c",
    ) else {
        return;
    };
    let (took, out) = break_mid_command(&d, "cut-host");
    eprintln!("unplugged host: the running command returned after {took:?}: {out:?}");
    // Keepalives every 5 s, 2 missed: 10-15 s, never a hang.
    assert!(took < Duration::from_secs(30), "{took:?}");
    let err = out.unwrap_err();
    assert!(err.message.contains("connection lost"), "{}", err.message);
}
