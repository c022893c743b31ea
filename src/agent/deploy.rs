//! Putting the cluster runtime on a node that is not this machine. The node
//! needs no internet and no package index: the client uploads what it runs
//! itself — the native `stix` binary (`STIX_AGENT_BIN`, or this program),
//! or the Python package's extension module, which the node's own `python3`
//! (any CPython >= 3.9, the module is abi3) loads by path. Uploads land in
//! `~/.sky/stix/v<AGENT_VERSION>-<content hash>/` through a temporary name
//! and a rename, and `~/.sky/stix/<file>` links to the active one, so the
//! argv that starts the runtime never changes and a client with a newer
//! build upgrades the node (stopping the old daemon) on its next launch.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use super::{AGENT_BIN_ENV, AGENT_VERSION, ClusterSpec};
use crate::error::{Error, ErrorKind, Result};
use crate::runner::{CommandRunner, RunRequest, RunnerSpec, shlex};

/// Where deployed runtimes live on a node, relative to its home.
pub const RUNTIME_DIR: &str = ".sky/stix";
/// The oldest CPython that loads the abi3 extension.
pub const MIN_PYTHON: (u32, u32) = (3, 9);
const BIN_NAME: &str = "stix";
const SO_NAME: &str = "_sky.abi3.so";

/// What this client deploys.
#[derive(Debug, Clone, PartialEq)]
pub enum Artifact {
    /// A native binary that accepts `_agent ...`.
    Binary(PathBuf),
    /// The Python extension module, run by the node's `python3`.
    Extension(PathBuf),
}

impl Artifact {
    /// This process's runtime: `$STIX_AGENT_BIN`, else the extension module
    /// this code was loaded from, else this executable.
    pub fn local() -> Result<Artifact> {
        if let Some(bin) = std::env::var_os(AGENT_BIN_ENV).filter(|b| !b.is_empty()) {
            return Ok(Artifact::Binary(PathBuf::from(bin)));
        }
        if let Some(so) = super::extension_path() {
            return Ok(Artifact::Extension(PathBuf::from(so)));
        }
        std::env::current_exe().map(Artifact::Binary).map_err(|e| {
            Error::new(
                ErrorKind::Os,
                format!("Cannot find this program to deploy it: {e}"),
            )
        })
    }

    /// The file on this machine.
    pub fn path(&self) -> &Path {
        match self {
            Artifact::Binary(p) | Artifact::Extension(p) => p,
        }
    }

    /// Its stable name under [`RUNTIME_DIR`].
    pub fn name(&self) -> &'static str {
        match self {
            Artifact::Binary(_) => BIN_NAME,
            Artifact::Extension(_) => SO_NAME,
        }
    }

    /// How a node starts the deployed runtime (`[..., "_agent"]`). It names
    /// the stable link through the node's own `$HOME`, so one argv serves
    /// every node of a cluster and every later version.
    pub fn remote_argv(&self) -> Vec<String> {
        let rel = format!("{RUNTIME_DIR}/{}", self.name());
        match self {
            Artifact::Binary(_) => vec![
                "sh".into(),
                "-c".into(),
                format!("exec \"$HOME\"/{rel} \"$@\""),
                "stix".into(),
                "_agent".into(),
            ],
            Artifact::Extension(_) => {
                let expr = format!("os.path.expanduser({:?})", format!("~/{rel}"));
                vec![
                    "python3".into(),
                    "-c".into(),
                    super::python_boot_expr(&expr),
                    "_agent".into(),
                ]
            }
        }
    }
}

/// How this client starts the runtime on a node reached by `runner`:
/// local sandboxes run this machine's program, other nodes the deployed one.
pub fn agent_command_for(runner: &RunnerSpec) -> Vec<String> {
    if runner.is_local() {
        return super::agent_command();
    }
    let kind = Artifact::local().unwrap_or(Artifact::Binary(PathBuf::new()));
    kind.remote_argv()
}

/// A file as the hash cache knows it: path, size, mtime (ns), inode.
type FileKey = (PathBuf, u64, i64, u64);

/// A short content hash of `path` (FNV-1a over 8-byte words), cached per
/// path, size, mtime and inode in the process (a multi-node deploy reads
/// the file once) and on disk under `~/.sky/cache/hashes/` (every `sky
/// launch` is a new process, and hashing the runtime artifact, tens of MB,
/// would otherwise be paid on each).
pub fn content_hash(path: &Path) -> Result<String> {
    static CACHE: OnceLock<Mutex<HashMap<FileKey, String>>> = OnceLock::new();
    let os = |e: std::io::Error| Error::new(ErrorKind::Os, format!("{}: {e}", path.display()));
    let meta = std::fs::metadata(path).map_err(os)?;
    use std::os::unix::fs::MetadataExt;
    let mtime = meta.mtime_nsec() + meta.mtime() * 1_000_000_000;
    let key = (path.to_path_buf(), meta.len(), mtime, meta.ino());
    let cache = CACHE.get_or_init(Default::default);
    if let Some(h) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return Ok(h);
    }
    let disk = disk_cache_entry(&key);
    let hex = match std::fs::read_to_string(&disk) {
        Ok(h) if h.len() == 16 && h.bytes().all(|b| b.is_ascii_hexdigit()) => h,
        _ => {
            let h = fnv_words(&std::fs::read(path).map_err(os)?);
            store_atomically(&disk, &h);
            h
        }
    };
    if let Ok(mut c) = cache.lock() {
        c.insert(key, hex.clone());
    }
    Ok(hex)
}

/// FNV-1a over 8-byte words (the tail bytewise), seeded with the length.
fn fnv_words(bytes: &[u8]) -> String {
    let mut h = 0xcbf29ce484222325u64 ^ bytes.len() as u64;
    let mut words = bytes.chunks_exact(8);
    for w in words.by_ref() {
        let mut word = [0u8; 8];
        word.copy_from_slice(w);
        h = (h ^ u64::from_le_bytes(word)).wrapping_mul(0x100000001b3);
    }
    for b in words.remainder() {
        h = (h ^ u64::from(*b)).wrapping_mul(0x100000001b3);
    }
    format!("{h:016x}")
}

/// The disk cache file of one file version: named by a hash of its key,
/// so entries never need a lock or a cleanup pass to stay correct.
fn disk_cache_entry(key: &FileKey) -> PathBuf {
    let (path, size, mtime, ino) = key;
    let id = format!("{}\0{size}\0{mtime}\0{ino}", path.display());
    let dir = crate::spec::task::expand_user("~/.sky/cache/hashes");
    PathBuf::from(dir).join(fnv_words(id.as_bytes()))
}

/// Best effort: a cache that cannot be written only costs a rehash.
fn store_atomically(file: &Path, text: &str) {
    let Some(dir) = file.parent() else { return };
    let tmp = dir.join(format!(
        ".tmp{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::create_dir_all(dir)
        .and_then(|_| std::fs::write(&tmp, text))
        .and_then(|_| std::fs::rename(&tmp, file));
}

/// Shell that makes `ver/name` the active runtime: the stable link moves
/// (atomically), a daemon of another version is stopped so the next
/// `start` runs this one, and versions no link names any more are removed.
fn activate_script(ver: &str, name: &str) -> String {
    let target = shlex::quote(&format!("{ver}/{name}"));
    let name = shlex::quote(name);
    format!(
        r#"cur=$(readlink "$d"/{name} 2>/dev/null)
if [ "$cur" != {target} ]; then
  ln -sfn {target} "$d"/.{name}.link && mv -Tf "$d"/.{name}.link "$d"/{name} || exit 1
  p=$(cat "$HOME/.sky/agent.pid" 2>/dev/null)
  if [ -n "$cur" ] && [ -n "$p" ] && tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null | grep -q '\.sky/stix/'; then
    kill "$p" 2>/dev/null
  fi
  keep=" $(readlink "$d"/{BIN_NAME} 2>/dev/null | cut -d/ -f1) $(readlink "$d"/{SO_NAME} 2>/dev/null | cut -d/ -f1) "
  for o in "$d"/v*; do
    case "$keep" in *" ${{o##*/}} "*) ;; *) rm -rf "$o" ;; esac
  done
fi
"#
    )
}

/// One round trip that reports the node's arch (and Python), reuses a copy
/// already in the login home (pool hosts give each cluster its own home),
/// and activates the version when it is present.
fn probe_script(ver: &str, name: &str, python: bool) -> String {
    let rel = shlex::quote(&format!("{ver}/{name}"));
    let mut s = format!(
        r#"d="$HOME"/{RUNTIME_DIR}; f="$d"/{rel}
echo "arch=$(uname -m)"
if [ ! -f "$f" ]; then
  lh=$(getent passwd "$(id -u)" 2>/dev/null | cut -d: -f6)
  g="$lh"/{RUNTIME_DIR}/{rel}
  if [ -n "$lh" ] && [ "$g" != "$f" ] && [ -f "$g" ]; then
    mkdir -p "${{f%/*}}" && {{ ln -f "$g" "$f" 2>/dev/null || cp -p "$g" "$f"; }}
  fi
fi
"#
    );
    if python {
        s.push_str(
            "python3 -c 'import sys;print(\"py=%d.%d\" % sys.version_info[:2])' 2>/dev/null \
             || echo py=none\n",
        );
    }
    s.push_str("if [ -f \"$f\" ]; then\n");
    s.push_str(&activate_script(ver, name));
    s.push_str("echo present=1\nfi\n");
    s
}

fn field<'a>(out: &'a str, key: &str) -> Option<&'a str> {
    out.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
}

/// Whether `uname -m` on the node matches this build's architecture.
fn same_arch(node: &str) -> bool {
    let here = std::env::consts::ARCH;
    node == here || (here == "aarch64" && node == "arm64")
}

fn runtime_error(runner: &dyn CommandRunner, msg: String) -> Error {
    Error::new(
        ErrorKind::Runtime,
        format!(
            "Failed to set up the SkyPilot runtime on {}: {msg}",
            runner.node_id()
        ),
    )
}

/// Makes sure the node reached by `runner` has this client's runtime
/// (uploading it when missing or different) and returns the argv that
/// starts it there (`[..., "_agent"]`).
pub fn ensure_runtime(runner: &dyn CommandRunner) -> Result<Vec<String>> {
    ensure_artifact(runner, &Artifact::local()?)
}

/// [`ensure_runtime`] for a given artifact.
pub fn ensure_artifact(runner: &dyn CommandRunner, art: &Artifact) -> Result<Vec<String>> {
    let local = art.path();
    if !local.is_file() {
        return Err(runtime_error(
            runner,
            format!("{} is not a file.", local.display()),
        ));
    }
    let ver = format!("v{AGENT_VERSION}-{}", content_hash(local)?);
    let python = matches!(art, Artifact::Extension(_));
    let probe = runner.run(
        &RunRequest::bash(&probe_script(&ver, art.name(), python)),
        None,
    )?;
    if probe.code != 0 {
        return Err(runtime_error(runner, probe.stderr.trim().to_string()));
    }
    let out = probe.stdout;
    let arch = field(&out, "arch").unwrap_or("unknown");
    if !same_arch(arch) {
        return Err(runtime_error(
            runner,
            format!(
                "the node is {arch}, this client is {}.",
                std::env::consts::ARCH
            ),
        ));
    }
    if python {
        check_python(runner, field(&out, "py").unwrap_or("none"))?;
    }
    if field(&out, "present").is_none() {
        upload(runner, local, &ver, art.name())?;
    }
    Ok(art.remote_argv())
}

/// Deploys the runtime to every node that is not a local sandbox (in
/// parallel) and returns the cluster spec as the head must see it (see
/// [`head_view`]); a cluster of local sandboxes is returned unchanged.
pub fn prepare_cluster(spec: &ClusterSpec) -> Result<ClusterSpec> {
    if spec.nodes.iter().all(|n| n.runner.is_local()) {
        return Ok(spec.clone());
    }
    let art = Artifact::local()?;
    let results: Vec<Result<Vec<String>>> = std::thread::scope(|s| {
        let jobs: Vec<_> = spec
            .nodes
            .iter()
            .filter(|n| !n.runner.is_local())
            .map(|n| {
                let art = &art;
                s.spawn(move || ensure_artifact(n.runner.runner().as_ref(), art))
            })
            .collect();
        jobs.into_iter()
            .map(|j| {
                j.join().unwrap_or_else(|_| {
                    Err(Error::new(
                        ErrorKind::Runtime,
                        "A runtime deployment crashed.",
                    ))
                })
            })
            .collect()
    });
    let mut out = spec.clone();
    for r in results {
        out.agent_argv = r?;
    }
    let head = spec.nodes[0].runner.runner();
    head_view(head.as_ref(), out)
}

/// A key path of the client with `~` expanded.
fn local_key(key: &Path) -> PathBuf {
    PathBuf::from(crate::spec::task::expand_user(&key.display().to_string()))
}

/// The key file name a client key gets on the head (`~/.ssh/<name>`).
fn key_name(key: &Path) -> Result<String> {
    Ok(format!("stix-{}.key", content_hash(key)?))
}

/// The spec as the head's agent uses it: the head runs its own rank as a
/// local process (no SSH to itself), and reaches workers at their internal
/// IPs with the client's keys, copied to the head's `~/.ssh/` (SkyPilot's
/// sky-key) and named there by absolute path.
pub fn head_view(head: &dyn CommandRunner, mut spec: ClusterSpec) -> Result<ClusterSpec> {
    let mut keys: Vec<PathBuf> = Vec::new();
    for n in spec.nodes.iter().skip(1) {
        if let RunnerSpec::Ssh {
            identity_file: Some(k),
            ..
        } = &n.runner
        {
            let k = local_key(k);
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
    }
    // Each key goes over stdin (never on a command line) into a private
    // temporary file renamed into place; every call also reads $HOME.
    let mut out = None;
    let todo: Vec<Option<&PathBuf>> = if keys.is_empty() {
        vec![None]
    } else {
        keys.iter().map(Some).collect()
    };
    for k in todo {
        let mut script = String::from("umask 077; mkdir -p ~/.ssh && chmod 700 ~/.ssh || exit 1\n");
        let mut req = RunRequest::default();
        if let Some(k) = k {
            let bytes = std::fs::read(k)
                .map_err(|e| Error::new(ErrorKind::Os, format!("{}: {e}", k.display())))?;
            let name = shlex::quote(&key_name(k)?);
            script.push_str(&format!(
                "cat > ~/.ssh/{name}.tmp && mv -f ~/.ssh/{name}.tmp ~/.ssh/{name} || exit 1\n"
            ));
            req.stdin = Some(bytes);
        }
        script.push_str("printf '%s\\n' \"$HOME\"\n");
        req.argv = RunRequest::bash(&script).argv;
        req.timeout = Some(std::time::Duration::from_secs(60));
        let o = head.run(&req, None)?;
        if o.code != 0 {
            return Err(runtime_error(
                head,
                format!("cannot copy the SSH keys to the head ({})", o.stderr.trim()),
            ));
        }
        out = Some(o);
    }
    let out = out.unwrap_or_default();
    let home = out.stdout.trim().to_string();
    if out.code != 0 || !home.starts_with('/') {
        return Err(runtime_error(
            head,
            format!("cannot read the head's home ({})", out.stderr.trim()),
        ));
    }
    for (i, node) in spec.nodes.iter_mut().enumerate() {
        let runner = &mut node.runner;
        if i == 0 {
            if !runner.is_local() {
                *runner = RunnerSpec::Local {
                    node_id: node.instance_id.clone(),
                    home: PathBuf::from(&home),
                };
            }
            continue;
        }
        if let RunnerSpec::Ssh {
            host,
            port,
            identity_file,
            proxy_jump,
            ..
        } = runner
        {
            if let Some(k) = identity_file {
                *k = PathBuf::from(format!("{home}/.ssh/{}", key_name(&local_key(k))?));
            }
            // Inside the cluster's network: no jump host, no client aliases.
            if !node.internal_ip.is_empty() {
                *host = node.internal_ip.clone();
                *proxy_jump = None;
                if *port == 0 {
                    *port = 22;
                }
            }
        }
    }
    Ok(spec)
}

fn check_python(runner: &dyn CommandRunner, found: &str) -> Result<()> {
    let version = found
        .split_once('.')
        .and_then(|(a, b)| Some((a.parse::<u32>().ok()?, b.parse::<u32>().ok()?)));
    match version {
        Some(v) if v >= MIN_PYTHON => Ok(()),
        _ => {
            let found = if found == "none" {
                "no python3 found".to_string()
            } else {
                format!("found python3 {found}")
            };
            Err(runtime_error(
                runner,
                format!(
                    "python3 >= {}.{} is required on the node ({found}). Install python3 \
                     there, or set {AGENT_BIN_ENV} to a stix binary built for it.",
                    MIN_PYTHON.0, MIN_PYTHON.1
                ),
            ))
        }
    }
}

fn upload(runner: &dyn CommandRunner, local: &Path, ver: &str, name: &str) -> Result<()> {
    let tmp = format!(".{name}.tmp{}", std::process::id());
    runner.rsync_up(local, &format!("~/{RUNTIME_DIR}/{ver}/{tmp}"))?;
    let script = format!(
        "d=\"$HOME\"/{RUNTIME_DIR}\nchmod 755 \"$d\"/{ver}/{tmp} && mv -f \"$d\"/{ver}/{tmp} \
         \"$d\"/{ver}/{name} || exit 1\n{}",
        activate_script(ver, name),
        tmp = shlex::quote(&tmp),
        ver = shlex::quote(ver),
        name = shlex::quote(name),
    );
    let out = runner.run(&RunRequest::bash(&script), None)?;
    if out.code != 0 {
        return Err(runtime_error(runner, out.stderr.trim().to_string()));
    }
    Ok(())
}

#[cfg(test)]
#[path = "deploy_tests.rs"]
mod tests;
