//! The status enums users see (`sky.ClusterStatus`, `sky.JobStatus`,
//! `sky.ManagedJobStatus`): their values in declaration order, the groups
//! SkyPilot's helpers return, and the ANSI colours of `colored_str()`.

/// colorama's `Fore.*` codes and `Style.RESET_ALL`.
mod ansi {
    pub const RED: &str = "\x1b[31m";
    pub const GREEN: &str = "\x1b[32m";
    pub const YELLOW: &str = "\x1b[33m";
    pub const BLUE: &str = "\x1b[34m";
    pub const MAGENTA: &str = "\x1b[35m";
    pub const CYAN: &str = "\x1b[36m";
    pub const RESET: &str = "\x1b[0m";
}

/// One status enum: its member values in declaration order, each member's
/// colour, and the named member groups its classmethods return.
pub struct StatusEnum {
    /// The Python class name.
    pub name: &'static str,
    /// `(member name, value, colour)` in declaration order.
    pub members: &'static [(&'static str, &'static str, &'static str)],
    /// `(classmethod name, member names)`.
    pub groups: &'static [(&'static str, &'static [&'static str])],
}

impl StatusEnum {
    /// `member.colored_str()`: the value wrapped in its colour.
    pub fn colored_str(&self, value: &str) -> Option<String> {
        self.members
            .iter()
            .find(|(_, v, _)| *v == value)
            .map(|(_, v, color)| format!("{color}{v}{}", ansi::RESET))
    }

    /// The members a group classmethod returns, in its order.
    pub fn group(&self, group: &str) -> Option<&'static [&'static str]> {
        self.groups
            .iter()
            .find(|(g, _)| *g == group)
            .map(|(_, members)| *members)
    }

    /// Whether `member` is in `group`.
    pub fn in_group(&self, group: &str, member: &str) -> bool {
        self.group(group).is_some_and(|g| g.contains(&member))
    }

    /// `is_terminal()`: in `terminal_statuses`, or not in
    /// `nonterminal_statuses` for enums that only list those.
    pub fn is_terminal(&self, member: &str) -> bool {
        match self.group("terminal_statuses") {
            Some(g) => g.contains(&member),
            None => !self.in_group("nonterminal_statuses", member),
        }
    }

    /// Declaration order of `member` (the `<` these enums define).
    pub fn index(&self, member: &str) -> Option<usize> {
        self.members.iter().position(|(n, _, _)| *n == member)
    }
}

use ansi::{BLUE, CYAN, GREEN, MAGENTA, RED, YELLOW};

/// `sky.utils.status_lib.ClusterStatus`.
pub const CLUSTER_STATUS: StatusEnum = StatusEnum {
    name: "ClusterStatus",
    members: &[
        ("INIT", "INIT", BLUE),
        ("UP", "UP", GREEN),
        ("STOPPED", "STOPPED", YELLOW),
        ("AUTOSTOPPING", "AUTOSTOPPING", MAGENTA),
        ("PENDING", "PENDING", CYAN),
    ],
    groups: &[],
};

/// `sky.skylet.job_lib.JobStatus`; later members are "further along".
pub const JOB_STATUS: StatusEnum = StatusEnum {
    name: "JobStatus",
    members: &[
        ("INIT", "INIT", BLUE),
        ("PENDING", "PENDING", BLUE),
        ("SETTING_UP", "SETTING_UP", BLUE),
        ("RUNNING", "RUNNING", GREEN),
        ("FAILED_DRIVER", "FAILED_DRIVER", RED),
        ("SUCCEEDED", "SUCCEEDED", GREEN),
        ("FAILED", "FAILED", RED),
        ("FAILED_SETUP", "FAILED_SETUP", RED),
        ("CANCELLED", "CANCELLED", YELLOW),
    ],
    groups: &[
        (
            "nonterminal_statuses",
            &["INIT", "SETTING_UP", "PENDING", "RUNNING"],
        ),
        ("user_code_failure_states", &["FAILED", "FAILED_SETUP"]),
    ],
};

/// `sky.jobs.state.ManagedJobStatus`.
pub const MANAGED_JOB_STATUS: StatusEnum = StatusEnum {
    name: "ManagedJobStatus",
    members: &[
        ("PENDING", "PENDING", BLUE),
        ("DEPRECATED_SUBMITTED", "SUBMITTED", BLUE),
        ("STARTING", "STARTING", BLUE),
        ("RUNNING", "RUNNING", GREEN),
        ("WINDING_DOWN", "WINDING_DOWN", CYAN),
        ("RECOVERING", "RECOVERING", CYAN),
        ("CANCELLING", "CANCELLING", YELLOW),
        ("SUCCEEDED", "SUCCEEDED", GREEN),
        ("CANCELLED", "CANCELLED", YELLOW),
        ("FAILED", "FAILED", RED),
        ("FAILED_SETUP", "FAILED_SETUP", RED),
        ("FAILED_PRECHECKS", "FAILED_PRECHECKS", RED),
        ("FAILED_NO_RESOURCE", "FAILED_NO_RESOURCE", RED),
        ("FAILED_CONTROLLER", "FAILED_CONTROLLER", RED),
    ],
    groups: &[
        (
            "terminal_statuses",
            &[
                "SUCCEEDED",
                "FAILED",
                "FAILED_SETUP",
                "FAILED_PRECHECKS",
                "FAILED_NO_RESOURCE",
                "FAILED_CONTROLLER",
                "CANCELLED",
            ],
        ),
        (
            "failure_statuses",
            &[
                "FAILED",
                "FAILED_SETUP",
                "FAILED_PRECHECKS",
                "FAILED_NO_RESOURCE",
                "FAILED_CONTROLLER",
            ],
        ),
        (
            "processing_statuses",
            &[
                "PENDING",
                "STARTING",
                "RUNNING",
                "WINDING_DOWN",
                "RECOVERING",
            ],
        ),
    ],
};

/// Every status enum, for lookups by class name.
pub const ALL: &[&StatusEnum] = &[&CLUSTER_STATUS, &JOB_STATUS, &MANAGED_JOB_STATUS];

/// The status enum with Python class name `name`.
pub fn by_name(name: &str) -> Option<&'static StatusEnum> {
    ALL.iter().copied().find(|e| e.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_match_skypilot() {
        assert_eq!(
            CLUSTER_STATUS.colored_str("UP").as_deref(),
            Some("\x1b[32mUP\x1b[0m")
        );
        assert_eq!(
            MANAGED_JOB_STATUS.colored_str("SUBMITTED").as_deref(),
            Some("\x1b[34mSUBMITTED\x1b[0m")
        );
        assert_eq!(JOB_STATUS.colored_str("NOPE"), None);
    }

    #[test]
    fn terminal_and_order() {
        assert!(JOB_STATUS.is_terminal("FAILED_DRIVER"));
        assert!(!JOB_STATUS.is_terminal("SETTING_UP"));
        assert!(MANAGED_JOB_STATUS.is_terminal("CANCELLED"));
        assert!(!MANAGED_JOB_STATUS.is_terminal("CANCELLING"));
        assert!(JOB_STATUS.index("INIT") < JOB_STATUS.index("RUNNING"));
        assert_eq!(
            by_name("ManagedJobStatus").map(|e| e.members.len()),
            Some(14)
        );
    }
}
