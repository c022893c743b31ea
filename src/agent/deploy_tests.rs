//! Deployment against a local sandbox node (the same trait calls an SSH
//! node gets; tests/ssh_cluster.rs runs them over SSH).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;
use crate::agent::NodeSpec;
use crate::provision::NodeResources;
use crate::runner::{LineSink, LocalRunner, RunOutput};

/// A local node that counts uploads.
struct Counting {
    inner: LocalRunner,
    uploads: AtomicUsize,
}

impl CommandRunner for Counting {
    fn node_id(&self) -> &str {
        self.inner.node_id()
    }
    fn run(&self, req: &RunRequest, sink: Option<LineSink<'_>>) -> Result<RunOutput> {
        self.inner.run(req, sink)
    }
    fn rsync_up(&self, local: &Path, remote: &str) -> Result<()> {
        self.uploads.fetch_add(1, Ordering::SeqCst);
        self.inner.rsync_up(local, remote)
    }
    fn rsync_down(&self, remote: &str, local: &Path) -> Result<()> {
        self.inner.rsync_down(remote, local)
    }
    fn check_connection(&self) -> bool {
        true
    }
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("stix-deploy-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write_exe(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn uploads_once_links_and_upgrades() {
    let root = tmp("up");
    let home = root.join("node");
    std::fs::create_dir_all(&home).unwrap();
    let bin = root.join("agent-bin");
    write_exe(&bin, "#!/bin/sh\necho \"v1 $*\"\n");
    let node = Counting {
        inner: LocalRunner::new("n0", &home),
        uploads: AtomicUsize::new(0),
    };
    let art = Artifact::Binary(bin.clone());
    let argv = ensure_artifact(&node, &art).unwrap();
    assert_eq!(node.uploads.load(Ordering::SeqCst), 1);
    assert_eq!(argv.last().unwrap(), "_agent");
    let ver1 = format!("v{AGENT_VERSION}-{}", content_hash(&bin).unwrap());
    assert!(home.join(".sky/stix").join(&ver1).join("stix").is_file());
    assert_eq!(
        std::fs::read_link(home.join(".sky/stix/stix")).unwrap(),
        Path::new(&ver1).join("stix")
    );
    // The argv runs the deployed file from any directory.
    let mut req = RunRequest::new(argv.iter().cloned().chain(["ping".to_string()]));
    req.cwd = Some("/".into());
    assert_eq!(node.run(&req, None).unwrap().stdout, "v1 _agent ping\n");

    // Present: nothing uploaded.
    ensure_artifact(&node, &art).unwrap();
    assert_eq!(node.uploads.load(Ordering::SeqCst), 1);

    // A daemon of the deployed version runs (its argv names ~/.sky/stix/).
    let mut daemon = std::process::Command::new("bash")
        .args(["-c", "exec -a \"$0\"/.sky/stix/stix sleep 60"])
        .arg(&home)
        .spawn()
        .unwrap();
    std::fs::write(home.join(".sky/agent.pid"), daemon.id().to_string()).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(100));

    // A newer client: a new version, the link moves, the old daemon is
    // stopped (the next `start` runs the new code), the old files go.
    write_exe(&bin, "#!/bin/sh\necho \"v2 $*\"\n");
    ensure_artifact(&node, &art).unwrap();
    let status = daemon.wait().unwrap();
    assert!(!status.success(), "the old daemon was stopped: {status:?}");
    assert_eq!(node.uploads.load(Ordering::SeqCst), 2);
    assert_eq!(node.run(&req, None).unwrap().stdout, "v2 _agent ping\n");
    assert!(!home.join(".sky/stix").join(&ver1).exists());
    let left: Vec<_> = std::fs::read_dir(home.join(".sky/stix"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(!left.iter().any(|n| n.contains("tmp")), "{left:?}");

    let err = ensure_artifact(&node, &Artifact::Binary(root.join("missing"))).unwrap_err();
    assert!(
        err.message
            .starts_with("Failed to set up the SkyPilot runtime on n0: ")
    );
}

#[test]
fn python_versions_and_argv() {
    let r = LocalRunner::new("n1", "/nonexistent");
    assert!(check_python(&r, "3.9").is_ok());
    assert!(check_python(&r, "3.12").is_ok());
    let old = check_python(&r, "3.8").unwrap_err();
    assert_eq!(
        old.message,
        "Failed to set up the SkyPilot runtime on n1: python3 >= 3.9 is required on the node \
         (found python3 3.8). Install python3 there, or set STIX_AGENT_BIN to a stix binary \
         built for it."
    );
    let none = check_python(&r, "none").unwrap_err();
    assert!(
        none.message.contains("(no python3 found)"),
        "{}",
        none.message
    );
    let argv = Artifact::Extension("/x/_sky.abi3.so".into()).remote_argv();
    assert_eq!(argv[0], "python3");
    assert!(argv[2].contains("os.path.expanduser(\"~/.sky/stix/_sky.abi3.so\")"));
    assert!(same_arch(std::env::consts::ARCH));
    assert!(!same_arch("riscv128"));
}

#[test]
fn head_view_runs_the_head_locally_and_copies_keys() {
    let root = tmp("head");
    let home = root.join("head");
    std::fs::create_dir_all(&home).unwrap();
    let key = root.join("id_test");
    std::fs::write(&key, "KEY").unwrap();
    let ssh = |id: &str, host: &str| RunnerSpec::Ssh {
        node_id: id.into(),
        host: host.into(),
        port: 0,
        user: "ubuntu".into(),
        identity_file: Some(key.clone()),
        proxy_jump: Some("bastion".into()),
        home: None,
    };
    let node = |id: &str, ip: &str| NodeSpec {
        instance_id: id.into(),
        internal_ip: ip.into(),
        runner: ssh(id, "public-name"),
        resources: NodeResources::default(),
    };
    let spec = ClusterSpec {
        cluster_name: "c".into(),
        cluster_name_on_cloud: "c".into(),
        cloud: "SSH".into(),
        region: None,
        zone: None,
        provider_name: "ssh".into(),
        provider_config: serde_json::Value::Null,
        nodes: vec![node("h", "10.0.0.1"), node("w", "10.0.0.2")],
        agent_argv: vec![],
    };
    let head = LocalRunner::new("h", &home);
    let view = head_view(&head, spec).unwrap();
    let home_s = home.display().to_string();
    assert_eq!(
        view.nodes[0].runner,
        RunnerSpec::Local {
            node_id: "h".into(),
            home: home.clone()
        }
    );
    let RunnerSpec::Ssh {
        host,
        port,
        identity_file,
        proxy_jump,
        ..
    } = &view.nodes[1].runner
    else {
        panic!("worker is not SSH: {:?}", view.nodes[1].runner);
    };
    assert_eq!((host.as_str(), *port, proxy_jump), ("10.0.0.2", 22, &None));
    let copied = identity_file.clone().unwrap();
    assert!(
        copied
            .display()
            .to_string()
            .starts_with(&format!("{home_s}/.ssh/stix-")),
        "{copied:?}"
    );
    assert_eq!(std::fs::read_to_string(&copied).unwrap(), "KEY");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&copied).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn hash_cache_entries_follow_the_file_version() {
    let p = PathBuf::from("/x/stix");
    let a = disk_cache_entry(&(p.clone(), 10, 5, 7));
    assert_eq!(a, disk_cache_entry(&(p.clone(), 10, 5, 7)));
    // Rewritten (mtime), replaced (inode) or resized: another entry.
    for other in [(p.clone(), 10, 6, 7), (p.clone(), 10, 5, 8), (p, 11, 5, 7)] {
        assert_ne!(a, disk_cache_entry(&other));
    }
    let d = tmp("hashcache");
    let f = d.join("sub").join("entry");
    store_atomically(&f, "0123456789abcdef");
    assert_eq!(std::fs::read_to_string(&f).unwrap(), "0123456789abcdef");
    assert_eq!(std::fs::read_dir(d.join("sub")).unwrap().count(), 1);
    assert_eq!(fnv_words(b"abc"), fnv_words(b"abc"));
    assert_ne!(fnv_words(b"abc"), fnv_words(b"abd"));
}
