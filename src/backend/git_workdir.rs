//! Git workdirs (`workdir: {url, ref}`), as SkyPilot's `utils/git.py` and
//! `git_clone.sh` handle them: the URL forms it accepts, the access check
//! and the `GIT_*` envs `Task.update_envs_and_secrets_from_workdir` sets,
//! and the clone into `~/sky_workdir` on every node.

use std::process::Command;

use crate::error::{Error, Result};

/// A parsed git URL (`GitUrlInfo`).
#[derive(Debug, Clone, PartialEq)]
pub struct GitUrl {
    /// Host name.
    pub host: String,
    /// Path on the host, without `.git`.
    pub path: String,
    /// `https`, `http` or `ssh`.
    pub protocol: String,
    /// User, if the URL names one.
    pub user: Option<String>,
    /// Port, if the URL names one.
    pub port: Option<u16>,
}

fn git_error(msg: String) -> Error {
    // `GitError` reaches the user as a ValueError with its text.
    Error::value(msg)
}

/// `GitRepo._parse_git_url`: HTTPS, `ssh://` and SCP-like URLs.
pub fn parse_git_url(url: &str) -> Result<GitUrl> {
    let mut clean = url.trim_end_matches('/');
    clean = clean.strip_suffix(".git").unwrap_or(clean);
    let split_host = |rest: &str| -> Option<(Option<String>, String, Option<u16>, String)> {
        let (auth, rest) = match rest.split_once('@') {
            Some((u, r)) if !u.contains('/') => (Some(u.to_string()), r),
            _ => (None, rest),
        };
        let (hostport, path) = rest.split_once('/')?;
        let (host, port) = match hostport.split_once(':') {
            Some((h, p)) => (h, Some(p.parse::<u16>().ok()?)),
            None => (hostport, None),
        };
        (!host.is_empty()).then(|| (auth, host.to_string(), port, path.to_string()))
    };
    for (prefix, protocol) in [
        ("https://", "https"),
        ("http://", "http"),
        ("ssh://", "ssh"),
    ] {
        if let Some(rest) = clean.strip_prefix(prefix)
            && let Some((user, host, port, path)) = split_host(rest)
        {
            if path.is_empty() || path == "/" {
                let kind = if protocol == "ssh" { "SSH URL" } else { "URL" };
                return Err(git_error(format!(
                    "Invalid repository path in {kind}: {url}"
                )));
            }
            return Ok(GitUrl {
                host,
                path,
                protocol: protocol.into(),
                user,
                port,
            });
        }
    }
    if !clean.contains("://") {
        let (user, rest) = match clean.split_once('@') {
            Some((u, r)) => (Some(u.to_string()), r),
            None => (None, clean),
        };
        if let Some((host, path)) = rest.split_once(':')
            && !host.is_empty()
            && !host.contains('/')
        {
            if path.is_empty() {
                return Err(git_error(format!(
                    "Invalid repository path in SSH URL: {url}"
                )));
            }
            return Ok(GitUrl {
                host: host.into(),
                path: path.into(),
                protocol: "ssh".into(),
                user,
                port: None,
            });
        }
    }
    Err(git_error(format!(
        "Unsupported git URL format: {url}. Supported formats: https://host/owner/repo, \
         ssh://user@host/owner/repo, user@host:owner/repo"
    )))
}

impl GitUrl {
    /// `get_https_url()`.
    pub fn https_url(&self) -> String {
        let port = self.port.map(|p| format!(":{p}")).unwrap_or_default();
        format!("https://{}{port}/{}.git", self.host, self.path)
    }

    /// `get_ssh_url()`.
    pub fn ssh_url(&self) -> String {
        let user = self.user.as_deref().unwrap_or("git");
        let port = self.port.map(|p| format!(":{p}")).unwrap_or_default();
        format!("ssh://{user}@{}{port}/{}.git", self.host, self.path)
    }
}

fn ls_remote(url: &str) -> Option<String> {
    let out = Command::new("git")
        .args(["ls-remote", url])
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `update_envs_and_secrets_from_workdir`: the envs a git workdir adds
/// (`GIT_URL`, and `GIT_COMMIT_HASH` / `GIT_BRANCH` / `GIT_TAG` for its
/// ref), after checking the repository can be reached.
pub fn workdir_envs(url: &str, git_ref: &str) -> Result<Vec<(String, String)>> {
    let parsed = parse_git_url(url)?;
    let token = std::env::var("GIT_TOKEN").ok().filter(|t| !t.is_empty());
    let candidates = match parsed.protocol.as_str() {
        "ssh" => vec![parsed.https_url(), parsed.ssh_url()],
        _ => vec![parsed.https_url()],
    };
    let found = candidates.iter().find_map(|u| {
        let probe = match (&token, u.strip_prefix("https://")) {
            (Some(t), Some(rest)) => format!("https://{t}@{rest}"),
            _ => u.clone(),
        };
        ls_remote(&probe).map(|refs| (u.clone(), refs))
    });
    let Some((clone_url, refs)) = found else {
        return Err(git_error(format!(
            "Failed to access repository {url}. If this is a private repository, please provide \
             authentication using either: GIT_TOKEN for token-based access, or GIT_SSH_KEY_PATH \
             for SSH access."
        )));
    };
    let mut envs = vec![("GIT_URL".to_string(), clone_url)];
    if !git_ref.is_empty() {
        let names: Vec<&str> = refs.lines().filter_map(|l| l.split('\t').nth(1)).collect();
        let key = if names.contains(&format!("refs/heads/{git_ref}").as_str()) {
            "GIT_BRANCH"
        } else if names.contains(&format!("refs/tags/{git_ref}").as_str()) {
            "GIT_TAG"
        } else if git_ref.len() >= 4 && git_ref.chars().all(|c| c.is_ascii_hexdigit()) {
            "GIT_COMMIT_HASH"
        } else {
            return Err(git_error(format!(
                "Git reference {git_ref} not found. Please provide a valid tag, branch, or commit hash."
            )));
        };
        envs.push((key.to_string(), git_ref.to_string()));
    }
    Ok(envs)
}

/// The script that clones (or updates) `url` at `git_ref` into
/// `~/sky_workdir` on a node, as `git_clone.sh` does.
pub fn clone_script(url: &str, git_ref: &str) -> String {
    let q = |s: &str| crate::runner::shlex::quote(s);
    let checkout = if git_ref.is_empty() {
        String::new()
    } else {
        let r = q(git_ref);
        let remote = q(&format!("origin/{git_ref}"));
        format!(
            "if git rev-parse --verify -q {remote} >/dev/null; then git checkout -q -f -B {r} {remote}; \
             else git checkout -q -f {r}; fi\n"
        )
    };
    format!(
        "set -e\nexport GIT_TERMINAL_PROMPT=0\ntarget=\"$HOME/sky_workdir\"\nurl={}\n\
         if [ -n \"${{GIT_TOKEN:-}}\" ] && [ \"${{url#https://}}\" != \"$url\" ]; then \
         url=\"https://${{GIT_TOKEN}}@${{url#https://}}\"; fi\n\
         if [ -d \"$target/.git\" ]; then git -C \"$target\" fetch --quiet --tags origin; \
         else rm -rf \"$target\"; git clone --quiet \"$url\" \"$target\"; fi\n\
         cd \"$target\"\n{checkout}",
        q(url)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_as_skypilot_parses_them() {
        let u = parse_git_url("https://github.com/skypilot-org/skypilot.git").unwrap();
        assert_eq!(
            (u.host.as_str(), u.path.as_str()),
            ("github.com", "skypilot-org/skypilot")
        );
        assert_eq!(
            u.https_url(),
            "https://github.com/skypilot-org/skypilot.git"
        );
        let s = parse_git_url("git@github.com:org/repo.git").unwrap();
        assert_eq!(s.ssh_url(), "ssh://git@github.com/org/repo.git");
        let p = parse_git_url("ssh://me@host:2222/org/repo").unwrap();
        assert_eq!(p.ssh_url(), "ssh://me@host:2222/org/repo.git");
        assert_eq!(
            parse_git_url("/local/path").unwrap_err().message,
            "Unsupported git URL format: /local/path. Supported formats: https://host/owner/repo, \
             ssh://user@host/owner/repo, user@host:owner/repo"
        );
    }

    #[test]
    fn clone_script_checks_out_the_ref_from_a_real_repo() {
        let dir = std::env::temp_dir().join(format!("stix-git-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let repo = dir.join("repo");
        let node = dir.join("node");
        std::fs::create_dir_all(&repo).unwrap();
        std::fs::create_dir_all(&node).unwrap();
        let git = |args: &[&str]| {
            let ok = Command::new("git")
                .args([
                    "-c",
                    "user.name=t",
                    "-c",
                    "user.email=t@t",
                    "-c",
                    "init.defaultBranch=main",
                ])
                .args(args)
                .current_dir(&repo)
                .output()
                .map(|o| o.status.success())
                .unwrap_or(false);
            assert!(ok, "git {args:?}");
        };
        git(&["init", "-q"]);
        std::fs::write(repo.join("f.txt"), "v1").unwrap();
        git(&["add", "f.txt"]);
        git(&["commit", "-qm", "one"]);
        git(&["tag", "v1"]);
        std::fs::write(repo.join("f.txt"), "v2").unwrap();
        git(&["commit", "-qam", "two"]);
        let url = format!("file://{}", repo.display());
        for (r, want) in [("", "v2"), ("v1", "v1"), ("main", "v2")] {
            let out = Command::new("bash")
                .args(["-c", &clone_script(&url, r)])
                .env("HOME", &node)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let got = std::fs::read_to_string(node.join("sky_workdir/f.txt")).unwrap();
            assert_eq!(got, want, "ref {r:?}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
