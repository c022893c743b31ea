#!/usr/bin/env bash
# `sky status` with 20 clusters, process start to table printed, through the
# CLI: stix's native binary, stix's `sky` console script (Python), and
# SkyPilot 0.14.1's `sky` against its warm local API server, in one
# hyperfine run. stix's clusters are 20 real local clusters (launched
# empty); SkyPilot's are 20 AWS records inserted into its state (it cannot
# launch without a cloud), so both print a 20-row table.
#
# Usage: benches/status_bench.sh [SKYPILOT_BIN_DIR]   (default /tmp/skyref/bin)
# Env: STIX_BIN (default target/release/stix), STIX_PY (default .venv/bin/sky).
set -euo pipefail
cd "$(dirname "$0")/.."
SKYREF="${1:-/tmp/skyref/bin}"
STIX_BIN="$(realpath "${STIX_BIN:-target/release/stix}")"
STIX_PY="$(realpath "${STIX_PY:-.venv/bin/sky}")"
STIX_HOME="$(mktemp -d)"
REF_HOME="$(mktemp -d)"
cleanup() {
    HOME="$STIX_HOME" STIX_AGENT_BIN="$STIX_BIN" "$STIX_BIN" down -a -y > /dev/null 2>&1 || true
    if [ -x "$SKYREF/sky" ]; then
        HOME="$REF_HOME" "$SKYREF/sky" api stop > /dev/null 2>&1 || true
    fi
    rm -rf "$STIX_HOME" "$REF_HOME"
}
trap cleanup EXIT
export SKYPILOT_DISABLE_USAGE_COLLECTION=1

for i in $(seq -w 0 19); do
    HOME="$STIX_HOME" STIX_AGENT_BIN="$STIX_BIN" "$STIX_BIN" launch -y -c "c$i" > /dev/null
done
cmds=("env HOME=$STIX_HOME $STIX_BIN status" "env HOME=$STIX_HOME $STIX_PY status")

if [ -x "$SKYREF/sky" ]; then
    mkdir -p "$REF_HOME/.sky/catalogs/v8"
    cp -r "${STIX_TEST_CATALOGS:-/work/shared/catalogs/v7}"/* "$REF_HOME/.sky/catalogs/v8/"
    HOME="$REF_HOME" "$SKYREF/python" - <<'PY'
import sky
from sky import global_user_state
from sky.backends import cloud_vm_ray_backend as b
for i in range(20):
    name = 'c%02d' % i
    r = sky.Resources(infra='aws/us-east-1', instance_type='m6i.2xlarge')
    h = b.CloudVmRayResourceHandle(
        cluster_name=name, cluster_name_on_cloud=name, cluster_yaml=None,
        launched_nodes=1, launched_resources=r,
        stable_internal_external_ips=[('10.0.0.1', '3.3.3.3')])
    global_user_state.add_or_update_cluster(name, h, {r}, ready=True)
PY
    # The first call starts the API server; the runs below find it warm.
    HOME="$REF_HOME" "$SKYREF/sky" status > /dev/null
    cmds+=("env HOME=$REF_HOME $SKYREF/sky status")
fi

hyperfine -N --warmup 2 --runs "${RUNS:-10}" "${cmds[@]}"
echo "rows: stix $(HOME="$STIX_HOME" "$STIX_BIN" status | grep -c '^c[0-9]')"
if [ -x "$SKYREF/sky" ]; then
    echo "rows: skypilot $(HOME="$REF_HOME" "$SKYREF/sky" status | grep -c '^c[0-9]')"
fi
