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
cargo test --all-targets
# shellcheck disable=SC1091
. "$VENV/bin/activate"
maturin develop --quiet
python -m pytest
