//! Local path handling as Python's `os.path` does it (`expanduser`,
//! `abspath`, `normpath`), so messages and stored paths match SkyPilot's.

/// `os.path.expanduser` for `~` and `~/...` (HOME without trailing `/`).
pub fn expanduser(path: &str) -> String {
    match (path.strip_prefix('~'), std::env::var("HOME")) {
        (Some(rest), Ok(home)) if rest.is_empty() || rest.starts_with('/') => {
            let joined = format!("{}{rest}", home.trim_end_matches('/'));
            if joined.is_empty() {
                "/".into()
            } else {
                joined
            }
        }
        _ => path.to_string(),
    }
}

/// `posixpath.normpath`: drops `.` and empty parts, resolves `..`
/// lexically, keeps exactly two leading slashes.
pub fn normpath(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let slashes = if path.starts_with("//") && !path.starts_with("///") {
        2
    } else {
        usize::from(path.starts_with('/'))
    };
    let mut parts: Vec<&str> = Vec::new();
    for comp in path.split('/') {
        if comp.is_empty() || comp == "." {
            continue;
        }
        if comp != ".." || (slashes == 0 && parts.is_empty()) || parts.last() == Some(&"..") {
            parts.push(comp);
        } else {
            parts.pop();
        }
    }
    let joined = format!("{}{}", "/".repeat(slashes), parts.join("/"));
    if joined.is_empty() {
        ".".into()
    } else {
        joined
    }
}

/// `os.path.abspath`: relative paths are taken from the current directory.
pub fn abspath(path: &str) -> String {
    if path.starts_with('/') {
        return normpath(path);
    }
    let cwd = std::env::current_dir()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "/".into());
    normpath(&format!("{}/{path}", cwd.trim_end_matches('/')))
}

/// `os.path.abspath(os.path.expanduser(path))`.
pub fn expand_abs(path: &str) -> String {
    abspath(&expanduser(path))
}

/// `os.path.basename`.
pub fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normpath_like_python() {
        assert_eq!(normpath("/tmp/../tmp/./x/"), "/tmp/x");
        assert_eq!(normpath("//a//b"), "//a/b");
        assert_eq!(normpath("///a"), "/a");
        assert_eq!(normpath("../a/.."), "..");
        assert_eq!(normpath("/.."), "/");
        assert_eq!(normpath(""), ".");
        assert_eq!(basename("/a/b"), "b");
        assert_eq!(basename("/a/"), "");
    }
}
