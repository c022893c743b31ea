#!/usr/bin/env bash
# stix's own overhead on an AWS launch (issue 6): a one-node launch of a
# one-line task on the local AWS (moto + a namespace SSH host per running
# instance, tests/aws_support/local_aws.py), wall time minus the time in
# EC2 API calls and waiting for the instance to accept SSH. As root (the
# local AWS needs network namespaces and sshd). Debug build, the same one
# `scripts/test.sh` builds.
#
# Usage: sudo benches/aws_launch_bench.sh        Env: RUNS (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "aws_launch_bench: needs root (network namespaces)" >&2; exit 1; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/stix-target}"
VENV="${STIX_TEST_VENV:-.venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check 'moto[server]'

PIDS=()
DIR=$(mktemp -d /tmp/stix-awsbench.XXXXXX)
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  bash scripts/testhosts.sh down "$DIR/testhosts" >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap cleanup EXIT

PORT="$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$VENV/bin/moto_server" -H 127.0.0.1 -p "$PORT" >"$DIR/moto.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do
  "$VENV/bin/python" -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$PORT/moto-api/')" 2>/dev/null && break
  sleep 0.1
done
export STIX_MOTO_URL="http://127.0.0.1:$PORT"
STIX_TEST_AWS_NET=$(bash scripts/testhosts.sh reserve-nets $$)
export STIX_TEST_AWS_NET
# The watcher is stopped first (it takes its hosts down itself), then moto.
"$VENV/bin/python" tests/aws_support/local_aws.py "$STIX_MOTO_URL" "$DIR/localaws" \
  >"$DIR/watcher.log" 2>&1 &
PIDS=($! "${PIDS[@]}")
for _ in $(seq 1 100); do [ -f "$DIR/localaws/state.json" ] && break; sleep 0.1; done
export STIX_LOCAL_AWS="$DIR/localaws"

cargo test -q --features aws,fetch --test bench_aws_launch -- --ignored --nocapture 2>&1 |
  grep -E "^(run|median|SKIP|  )"
