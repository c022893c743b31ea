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

# moto for tests/aws_*.rs: a free port, stopped on exit; tests reset it.
MOTO_PORT="$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
MOTO_LOG="$(mktemp -t stix-moto.XXXXXX)"
"$VENV/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT" >"$MOTO_LOG" 2>&1 &
MOTO_PID=$!
trap 'kill "$MOTO_PID" 2>/dev/null || true; rm -f "$MOTO_LOG"' EXIT
for _ in $(seq 1 100); do
  "$VENV/bin/python" -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$MOTO_PORT/moto-api/')" 2>/dev/null && break
  sleep 0.1
done
export STIX_MOTO_URL="http://127.0.0.1:$MOTO_PORT"
STIX_TEST_PYTHON="$(cd "$VENV" && pwd)/bin/python"
export STIX_TEST_PYTHON

# The same feature set as the wheel (pyproject.toml), so nothing builds twice.
cargo test --all-targets --features aws
# shellcheck disable=SC1091
. "$VENV/bin/activate"
maturin develop --quiet
python -m pytest
