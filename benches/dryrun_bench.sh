#!/usr/bin/env bash
# `sky launch --dryrun --gpus A100:8` across all shared catalogs, process
# start to plan printed: stix (the `sky` on PATH) vs SkyPilot 0.14.1 (its
# optimizer in process: `import sky` + `Optimizer.optimize`, since its CLI
# needs an API server), in one run, plus peak RSS.
#
# Usage: benches/dryrun_bench.sh [SKYPILOT_PYTHON]   (default /tmp/skyref/bin/python)
set -euo pipefail
SKYREF="${1:-/tmp/skyref/bin/python}"
SRC="${STIX_TEST_CATALOGS:-/work/shared/catalogs/v7}"
HOME_DIR="$(mktemp -d)"
trap 'rm -rf "$HOME_DIR"' EXIT
mkdir -p "$HOME_DIR/.sky/catalogs/v8"
cp -r "$SRC"/* "$HOME_DIR/.sky/catalogs/v8/"
CLOUDS=aws,gcp,lambda,runpod,vast,cudo,primeintellect,nebius,hyperbolic,seeweb,shadeform,mithril
export HOME="$HOME_DIR" STIX_ASSUME_ENABLED="$CLOUDS" SKYPILOT_DISABLE_USAGE_COLLECTION=1
REF_SCRIPT="$HOME_DIR/skypilot_dryrun.py"
cat > "$REF_SCRIPT" <<PY
import sky
from sky import check
from sky.utils import registry
enabled = [registry.CLOUD_REGISTRY.from_str(c) for c in '$CLOUDS'.split(',')]
check.get_cached_enabled_clouds_or_refresh = lambda *a, **k: list(enabled)
import sky.resources
sky.resources.sky_check.get_cached_enabled_clouds_or_refresh = check.get_cached_enabled_clouds_or_refresh
with sky.Dag() as dag:
    sky.Task(run='echo hi').set_resources(sky.Resources(accelerators='A100:8'))
sky.Optimizer.optimize(dag)
PY
STIX_CMD="sky launch --dryrun --gpus A100:8 echo hi"
REF_CMD="$SKYREF $REF_SCRIPT"
# Warm both (first run builds stix's catalog index next to the CSVs).
$STIX_CMD > /dev/null
[ -x "$SKYREF" ] && $REF_CMD > /dev/null
if [ -x "$SKYREF" ]; then
    hyperfine -N --warmup 1 --runs 5 "$STIX_CMD" "$REF_CMD"
else
    hyperfine -N --warmup 1 --runs 10 "$STIX_CMD"
fi
echo "peak RSS (KB): stix $(/usr/bin/time -f %M $STIX_CMD 2>&1 >/dev/null | tail -1)"
[ -x "$SKYREF" ] && echo "peak RSS (KB): skypilot $(/usr/bin/time -f %M $REF_CMD 2>&1 >/dev/null | tail -1)"
# Cold: the catalog index is rebuilt from the CSVs.
find "$HOME_DIR/.sky/catalogs/v8" -type f ! -name '*.csv' -delete
hyperfine -N --runs 1 --prepare "find $HOME_DIR/.sky/catalogs/v8 -type f ! -name '*.csv' -delete" "$STIX_CMD" || true
