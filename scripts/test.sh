#!/usr/bin/env bash
# Installs what the tests need and runs them all: Rust tests, then the
# Python extension (built once, debug profile) and pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
# One shared target dir outside the clone so later runs reuse the build.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/stix-target}"
VENV="${STIX_TEST_VENV:-.venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check 'maturin>=1.9,<2' 'pytest>=8'
# SSH tests run against namespace hosts (scripts/testhosts.sh), brought up
# once for the whole run; they need root, sshd and rsync, and skip without.
if [ "$(id -u)" = 0 ] && [ -z "${STIX_TEST_HOSTS:-}" ]; then
  if [ ! -x /usr/sbin/sshd ] || ! command -v rsync >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-server rsync >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null 2>&1 &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-server rsync >/dev/null 2>&1; } ||
      echo "test.sh: could not install openssh-server/rsync; SSH tests will skip" >&2
  fi
  if [ -x /usr/sbin/sshd ]; then
    HOSTS_DIR=$(mktemp -d /tmp/stix-testhosts.XXXXXX)
    trap 'bash scripts/testhosts.sh down "$HOSTS_DIR" >/dev/null 2>&1; rm -rf "$HOSTS_DIR"' EXIT
    if STIX_TEST_HOSTS=$(bash scripts/testhosts.sh up 3 "$HOSTS_DIR"); then
      export STIX_TEST_HOSTS
    else
      echo "test.sh: test hosts did not come up; SSH tests will skip" >&2
    fi
  fi
fi
cargo test --all-targets
# shellcheck disable=SC1091
. "$VENV/bin/activate"
maturin develop --quiet
python -m pytest
