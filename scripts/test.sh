#!/usr/bin/env bash
# Installs what the tests need and runs them all: Rust tests, then the
# Python extension (built once, debug profile, same features) and pytest.
# A moto server (EC2/STS emulator) runs on 127.0.0.1 for the AWS tests.
set -euo pipefail
cd "$(dirname "$0")/.."
# One shared target dir outside the clone so later runs reuse the build.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/stix-target}"
VENV="${STIX_TEST_VENV:-.venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check 'maturin>=1.9,<2' 'pytest>=8' 'moto[server]'

# Everything started below is stopped on exit.
CLEANUP=()
cleanup() { for c in "${CLEANUP[@]}"; do eval "$c" || true; done; }
trap cleanup EXIT

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
    CLEANUP+=('bash scripts/testhosts.sh down "$HOSTS_DIR" >/dev/null 2>&1; rm -rf "$HOSTS_DIR"')
    if STIX_TEST_HOSTS=$(bash scripts/testhosts.sh up 3 "$HOSTS_DIR"); then
      export STIX_TEST_HOSTS
    else
      echo "test.sh: test hosts did not come up; SSH tests will skip" >&2
    fi
  fi
fi

# moto for tests/aws_*.rs: a free port, stopped on exit; tests reset it.
MOTO_PORT="$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
MOTO_LOG="$(mktemp -t stix-moto.XXXXXX)"
"$VENV/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT" >"$MOTO_LOG" 2>&1 &
MOTO_PID=$!
CLEANUP+=('kill "$MOTO_PID" 2>/dev/null; rm -f "$MOTO_LOG"')
for _ in $(seq 1 100); do
  "$VENV/bin/python" -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$MOTO_PORT/moto-api/')" 2>/dev/null && break
  sleep 0.1
done
export STIX_MOTO_URL="http://127.0.0.1:$MOTO_PORT"

# The local AWS (tests/aws_support/local_aws.py): each running moto instance
# gets a namespace SSH host at its private IP, in subnets of a 10.213.N.0/21
# block reserved for this run (parallel runs share the bridge). Root + sshd.
if [ "$(id -u)" = 0 ] && [ -x /usr/sbin/sshd ] && [ -z "${STIX_LOCAL_AWS:-}" ] &&
  STIX_TEST_AWS_NET=$(bash scripts/testhosts.sh reserve-nets $$); then
  export STIX_TEST_AWS_NET
  LOCAL_AWS_DIR=$(mktemp -d /tmp/stix-localaws.XXXXXX)
  "$VENV/bin/python" tests/aws_support/local_aws.py "$STIX_MOTO_URL" "$LOCAL_AWS_DIR" \
    >"$LOCAL_AWS_DIR/watcher.log" 2>&1 &
  LOCAL_AWS_PID=$!
  # Before moto's own cleanup (the array runs in order): the watcher takes
  # its hosts down itself; `down` catches what a killed watcher left.
  CLEANUP=('kill "$LOCAL_AWS_PID" 2>/dev/null; wait "$LOCAL_AWS_PID" 2>/dev/null; bash scripts/testhosts.sh down "$LOCAL_AWS_DIR/testhosts" >/dev/null 2>&1; rm -rf "$LOCAL_AWS_DIR"' "${CLEANUP[@]}")
  for _ in $(seq 1 100); do [ -f "$LOCAL_AWS_DIR/state.json" ] && break; sleep 0.1; done
  if [ -f "$LOCAL_AWS_DIR/state.json" ]; then
    export STIX_LOCAL_AWS="$LOCAL_AWS_DIR"
  else
    echo "test.sh: the local AWS watcher did not start; AWS end-to-end tests will skip" >&2
  fi
fi
STIX_TEST_PYTHON="$(cd "$VENV" && pwd)/bin/python"
export STIX_TEST_PYTHON

# The same feature set as the wheel (pyproject.toml) but `python`, so the
# shared dependencies are built once for both.
cargo test --all-targets --features aws,fetch
# shellcheck disable=SC1091
. "$VENV/bin/activate"
maturin develop --quiet
python -m pytest
