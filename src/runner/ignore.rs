//! The exclude rules SkyPilot hands rsync when it syncs a workdir or a
//! file mount: `--filter='dir-merge,- .skyignore'` when the source has a
//! `.skyignore`, else `--filter='dir-merge,- .gitignore'` plus
//! `--exclude-from=.git/info/exclude`. Patterns follow rsync's rules (not
//! git's): a leading `/` anchors to the directory of the file the rule came
//! from, a trailing `/` matches directories only, a pattern with a `/` or
//! `**` is matched against the end of the path, any other pattern against
//! the last component; `*` stops at `/`, `**` does not.

use std::path::Path;

/// `.skyignore`.
pub const SKY_IGNORE_FILE: &str = ".skyignore";
/// `.gitignore`.
pub const GIT_IGNORE_FILE: &str = ".gitignore";
/// `.git/info/exclude`, read only when syncing up.
pub const GIT_EXCLUDE: &str = ".git/info/exclude";

/// One exclude pattern and the directory (relative to the sync root, `""`
/// for the root) whose rule file it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    base: String,
    pattern: String,
    anchored: bool,
    dir_only: bool,
    whole_path: bool,
}

impl Rule {
    /// Parses one line of a rule file; `None` for blanks and comments.
    pub fn parse(line: &str, base: &str) -> Option<Rule> {
        let line = line.trim_end();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            return None;
        }
        let mut pattern = line;
        let dir_only = pattern.len() > 1 && pattern.ends_with('/');
        if dir_only {
            pattern = pattern.trim_end_matches('/');
        }
        let anchored = pattern.starts_with('/');
        let pattern = pattern.trim_start_matches('/');
        if pattern.is_empty() {
            return None;
        }
        Some(Rule {
            base: base.to_string(),
            whole_path: pattern.contains('/') || pattern.contains("**"),
            pattern: pattern.to_string(),
            anchored,
            dir_only,
        })
    }

    /// Whether this rule excludes `rel` (a `/`-separated path relative to
    /// the sync root).
    pub fn matches(&self, rel: &str, is_dir: bool) -> bool {
        if self.dir_only && !is_dir {
            return false;
        }
        let local = if self.base.is_empty() {
            rel
        } else {
            match rel.strip_prefix(self.base.as_str()) {
                Some(rest) if rest.starts_with('/') => &rest[1..],
                _ => return false,
            }
        };
        if self.anchored {
            return glob_match(self.pattern.as_bytes(), local.as_bytes());
        }
        if !self.whole_path {
            let name = local.rsplit('/').next().unwrap_or(local);
            return glob_match(self.pattern.as_bytes(), name.as_bytes());
        }
        // Matched against the end of the path, at a component boundary.
        std::iter::once(0)
            .chain(local.match_indices('/').map(|(i, _)| i + 1))
            .any(|start| glob_match(self.pattern.as_bytes(), &local.as_bytes()[start..]))
    }
}

/// rsync/fnmatch-style glob: `*` (not `/`), `**` (anything), `?`, `[...]`.
pub fn glob_match(p: &[u8], s: &[u8]) -> bool {
    match p.first() {
        None => s.is_empty(),
        Some(b'*') => {
            let double = p.get(1) == Some(&b'*');
            let rest = if double {
                p[2..].strip_prefix(b"*").unwrap_or(&p[2..])
            } else {
                &p[1..]
            };
            for i in 0..=s.len() {
                if glob_match(rest, &s[i..]) {
                    return true;
                }
                if i < s.len() && s[i] == b'/' && !double {
                    return false;
                }
            }
            false
        }
        Some(b'?') => !s.is_empty() && s[0] != b'/' && glob_match(&p[1..], &s[1..]),
        Some(b'[') => match (s.first(), class_match(&p[1..], s.first().copied())) {
            (Some(_), Some((true, used))) => glob_match(&p[1 + used..], &s[1..]),
            (Some(&c), None) => c == b'[' && glob_match(&p[1..], &s[1..]),
            _ => false,
        },
        Some(b'\\') if p.len() > 1 => !s.is_empty() && s[0] == p[1] && glob_match(&p[2..], &s[1..]),
        Some(&c) => !s.is_empty() && s[0] == c && glob_match(&p[1..], &s[1..]),
    }
}

/// Matches a `[...]` class body against `c`; returns (matched, bytes used
/// including the closing `]`), or `None` when the class is unterminated.
fn class_match(p: &[u8], c: Option<u8>) -> Option<(bool, usize)> {
    let c = c?;
    let mut i = 0;
    let negate = matches!(p.first(), Some(b'!') | Some(b'^'));
    if negate {
        i += 1;
    }
    let mut hit = false;
    let mut first = true;
    while i < p.len() {
        if p[i] == b']' && !first {
            return Some((hit != negate && c != b'/', i + 1));
        }
        first = false;
        let lo = p[i];
        if i + 2 < p.len() && p[i + 1] == b'-' && p[i + 2] != b']' {
            hit |= lo <= c && c <= p[i + 2];
            i += 3;
        } else {
            hit |= lo == c;
            i += 1;
        }
    }
    None
}

/// Which rule files a sync reads, decided once from the source root as
/// SkyPilot does.
#[derive(Debug, Clone)]
pub struct IgnoreRules {
    merge_file: &'static str,
    global: Vec<Rule>,
}

impl IgnoreRules {
    /// The rules for syncing `root` (a directory); `up` adds
    /// `.git/info/exclude` when `.skyignore` is absent.
    pub fn for_root(root: &Path, up: bool) -> IgnoreRules {
        if root.join(SKY_IGNORE_FILE).exists() {
            return IgnoreRules {
                merge_file: SKY_IGNORE_FILE,
                global: Vec::new(),
            };
        }
        let mut global = Vec::new();
        if up && let Ok(text) = std::fs::read_to_string(root.join(GIT_EXCLUDE)) {
            global.extend(text.lines().filter_map(|l| Rule::parse(l, "")));
        }
        IgnoreRules {
            merge_file: GIT_IGNORE_FILE,
            global,
        }
    }

    /// The per-directory rule file name (`.skyignore` or `.gitignore`).
    pub fn merge_file(&self) -> &'static str {
        self.merge_file
    }

    /// Rules read from `dir`'s merge file (`rel` is `dir` relative to root).
    pub fn dir_rules(&self, dir: &Path, rel: &str) -> Vec<Rule> {
        std::fs::read_to_string(dir.join(self.merge_file))
            .map(|t| t.lines().filter_map(|l| Rule::parse(l, rel)).collect())
            .unwrap_or_default()
    }

    /// Whether `rel` is excluded by the global rules or `inherited` ones.
    pub fn excluded(&self, inherited: &[Rule], rel: &str, is_dir: bool) -> bool {
        self.global
            .iter()
            .chain(inherited)
            .any(|r| r.matches(rel, is_dir))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(line: &str, base: &str, rel: &str, dir: bool) -> bool {
        Rule::parse(line, base).is_some_and(|r| r.matches(rel, dir))
    }

    #[test]
    fn rsync_pattern_rules() {
        assert!(ex("*.pyc", "", "a/b/c.pyc", false));
        assert!(!ex("*.pyc", "", "a/b/c.py", false));
        assert!(ex("build/", "", "x/build", true));
        assert!(!ex("build/", "", "x/build", false));
        assert!(ex("/data", "", "data", true));
        assert!(!ex("/data", "", "x/data", true));
        assert!(ex("/data", "x", "x/data", true));
        assert!(ex("foo/bar", "", "a/foo/bar", false));
        assert!(!ex("foo/bar", "", "a/xfoo/bar", false));
        assert!(ex("a/**/z", "", "a/b/c/z", false));
        assert!(!ex("a/*/z", "", "a/b/c/z", false));
        assert!(ex("f?le[0-9].txt", "", "file7.txt", false));
        assert!(!ex("f?le[!0-9].txt", "", "file7.txt", false));
        assert!(ex("sub_only", "sub", "sub/x/sub_only", false));
        assert!(!ex("sub_only", "sub", "other/sub_only", false));
        assert!(Rule::parse("# comment", "").is_none());
        assert!(Rule::parse("   ", "").is_none());
    }
}
