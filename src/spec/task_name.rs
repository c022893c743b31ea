//! Task and cluster name rules.

/// `[a-zA-Z0-9]+(?:[._-]{1,2}[a-zA-Z0-9]+)*`, matched in full.
pub fn is_valid_task_name(name: &str) -> bool {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r"^[a-zA-Z0-9]+(?:[._-]{1,2}[a-zA-Z0-9]+)*$")
            .unwrap_or_else(|e| panic!("name regex: {e}"))
    })
    .is_match(name)
}
