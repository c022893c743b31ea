//! The client's SSH key pair for cloud nodes (SkyPilot's `sky-key`, kept in
//! `~/.sky/clients/<user_hash>/ssh/`): generated once with `ssh-keygen`,
//! its public half installed on each node by cloud-init.

use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind, Result};

/// The key pair in `dir` (`sky-key`, `sky-key.pub`), generated if missing:
/// the private key's path and the public key's text.
pub fn get_or_generate(dir: &Path) -> Result<(PathBuf, String)> {
    let private = dir.join("sky-key");
    let public = dir.join("sky-key.pub");
    if !(private.exists() && public.exists()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            Error::new(
                ErrorKind::Runtime,
                format!("Failed to create {}: {e}", dir.display()),
            )
        })?;
        // A half-written pair (a killed earlier run) is replaced whole.
        let _ = std::fs::remove_file(&private);
        let _ = std::fs::remove_file(&public);
        let out = std::process::Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", "sky-key", "-f"])
            .arg(&private)
            .stdin(std::process::Stdio::null())
            .output()
            .map_err(|e| {
                Error::new(
                    ErrorKind::Runtime,
                    format!("Failed to run ssh-keygen (is OpenSSH installed?): {e}"),
                )
            })?;
        if !out.status.success() {
            return Err(Error::new(
                ErrorKind::Runtime,
                format!(
                    "ssh-keygen failed: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ),
            ));
        }
    }
    let text = std::fs::read_to_string(&public).map_err(|e| {
        Error::new(
            ErrorKind::Runtime,
            format!("Failed to read {}: {e}", public.display()),
        )
    })?;
    Ok((private, text.trim().to_string()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn generates_once() {
        let dir = std::env::temp_dir().join(format!("stix-key-{}", std::process::id()));
        let (p, k) = super::get_or_generate(&dir).unwrap();
        assert!(p.exists() && k.starts_with("ssh-ed25519 "));
        let (_, again) = super::get_or_generate(&dir).unwrap();
        assert_eq!(k, again);
        let _ = std::fs::remove_dir_all(dir);
    }
}
