//! rsync `-a` without the rsync binary, for node sandboxes on this machine:
//! a directory source ending in `/` (and every upload source, as SkyPilot
//! appends the `/`) copies its contents; files are copied when size or
//! mtime differ (rsync's quick check); symlinks are copied as symlinks;
//! permissions and mtimes are kept; nothing is deleted at the target.

use std::fs;
use std::path::Path;

use super::ignore::{IgnoreRules, Rule};
use crate::error::{Error, ErrorKind, Result};

/// Which way a sync goes (uploads also honour `.git/info/exclude`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Client to node.
    Up,
    /// Node to client.
    Down,
}

fn io_err(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::new(ErrorKind::Os, format!("{what} {}: {e}", path.display()))
}

/// Syncs `src` to `dst` with rsync's rules for the given direction.
pub fn sync_path(src: &Path, dst: &Path, dir: Direction) -> Result<()> {
    let meta = fs::symlink_metadata(src).map_err(|e| {
        Error::new(
            ErrorKind::Command,
            format!(
                "rsync: link_stat {:?} failed: {e}",
                src.display().to_string()
            ),
        )
    })?;
    let trailing = src.as_os_str().to_string_lossy().ends_with('/');
    if meta.is_dir() || (meta.file_type().is_symlink() && src.is_dir() && trailing) {
        let target = if dir == Direction::Up || trailing {
            dst.to_path_buf()
        } else {
            dst.join(src.file_name().unwrap_or_default())
        };
        let rules = IgnoreRules::for_root(src, dir == Direction::Up);
        return copy_dir(src, &target, "", &rules, &[]);
    }
    let target = if dst.is_dir() {
        dst.join(src.file_name().unwrap_or_default())
    } else {
        dst.to_path_buf()
    };
    if let Some(parent) = target.parent() {
        fs::create_dir_all(parent).map_err(|e| io_err("mkdir", parent, e))?;
    }
    copy_entry(src, &target, &meta)
}

fn copy_dir(
    src: &Path,
    dst: &Path,
    rel: &str,
    rules: &IgnoreRules,
    inherited: &[Rule],
) -> Result<()> {
    fs::create_dir_all(dst).map_err(|e| io_err("mkdir", dst, e))?;
    if let Ok(m) = fs::metadata(src) {
        let _ = fs::set_permissions(dst, m.permissions());
    }
    let mut here = rules.dir_rules(src, rel);
    here.extend_from_slice(inherited);
    let mut entries: Vec<_> = fs::read_dir(src)
        .map_err(|e| io_err("read", src, e))?
        .filter_map(|e| e.ok())
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        let name_str = name.to_string_lossy();
        let child_rel = if rel.is_empty() {
            name_str.to_string()
        } else {
            format!("{rel}/{name_str}")
        };
        let path = entry.path();
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        if rules.excluded(&here, &child_rel, meta.is_dir()) {
            continue;
        }
        let target = dst.join(&name);
        if meta.is_dir() {
            copy_dir(&path, &target, &child_rel, rules, &here)?;
        } else {
            copy_entry(&path, &target, &meta)?;
        }
    }
    Ok(())
}

fn copy_entry(src: &Path, dst: &Path, meta: &fs::Metadata) -> Result<()> {
    if meta.file_type().is_symlink() {
        let link = fs::read_link(src).map_err(|e| io_err("readlink", src, e))?;
        if fs::read_link(dst).ok().as_ref() == Some(&link) {
            return Ok(());
        }
        let _ = fs::remove_file(dst);
        return std::os::unix::fs::symlink(&link, dst).map_err(|e| io_err("symlink", dst, e));
    }
    if !meta.is_file() {
        // Sockets, fifos and devices: rsync -a without --devices skips them.
        return Ok(());
    }
    if let Ok(old) = fs::metadata(dst)
        && old.is_file()
        && old.len() == meta.len()
        && old.modified().ok() == meta.modified().ok()
    {
        return Ok(());
    }
    if fs::symlink_metadata(dst).is_ok_and(|m| m.file_type().is_symlink()) {
        let _ = fs::remove_file(dst);
    }
    fs::copy(src, dst).map_err(|e| io_err("copy", src, e))?;
    let _ = fs::set_permissions(dst, meta.permissions());
    if let (Ok(mtime), Ok(f)) = (meta.modified(), fs::File::options().write(true).open(dst)) {
        let _ = f.set_modified(mtime);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("stix-copy-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    fn write(p: &Path, text: &str) {
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }

    #[test]
    fn gitignore_and_exclude_rules() {
        let root = tmp("git");
        let src = root.join("src");
        write(&src.join(".gitignore"), "*.log\n/build/\n");
        write(&src.join(".git/info/exclude"), "secret.txt\n");
        write(&src.join("a.py"), "a");
        write(&src.join("x.log"), "x");
        write(&src.join("secret.txt"), "s");
        write(&src.join("build/out"), "o");
        write(&src.join("sub/build/keep"), "k");
        write(&src.join("sub/.gitignore"), "local_only\n");
        write(&src.join("sub/local_only"), "l");
        write(&src.join("sub/y.log"), "y");
        write(&src.join("local_only"), "kept at root");
        let dst = root.join("dst");
        sync_path(&src, &dst, Direction::Up).unwrap();
        assert!(dst.join("a.py").exists());
        assert!(dst.join(".gitignore").exists());
        assert!(dst.join("sub/build/keep").exists());
        assert!(dst.join("local_only").exists());
        for gone in [
            "x.log",
            "secret.txt",
            "build",
            "sub/local_only",
            "sub/y.log",
        ] {
            assert!(!dst.join(gone).exists(), "{gone} should be excluded");
        }
    }

    #[test]
    fn skyignore_wins_and_down_keeps_dir_name() {
        let root = tmp("sky");
        let src = root.join("src");
        write(&src.join(".skyignore"), "data\n");
        write(&src.join(".gitignore"), "*.py\n");
        write(&src.join("data/big"), "b");
        write(&src.join("m.py"), "m");
        let dst = root.join("dst");
        sync_path(&src, &dst, Direction::Up).unwrap();
        assert!(dst.join("m.py").exists());
        assert!(!dst.join("data").exists());
        let down = root.join("down");
        fs::create_dir_all(&down).unwrap();
        sync_path(&src, &down, Direction::Down).unwrap();
        assert!(down.join("src/m.py").exists());
        let mut with_slash = src.clone().into_os_string();
        with_slash.push("/");
        sync_path(Path::new(&with_slash), &down, Direction::Down).unwrap();
        assert!(down.join("m.py").exists());
    }
}
