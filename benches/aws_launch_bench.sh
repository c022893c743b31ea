#!/usr/bin/env bash
# stix's own overhead on an AWS launch (issue 6): a one-node launch of a
# one-line task on the local AWS (moto + a namespace SSH host per running
# instance, tests/aws_support/local_aws.py), wall time minus the time in
# EC2 API calls and waiting for the instance to accept SSH. As root (the
# local AWS needs network namespaces and sshd). Debug build, the same one
# `scripts/test.sh` builds.
#
# Then SkyPilot 0.14.1 (SKYREF, default /tmp/skyref: a venv with it; when
# missing, a throwaway venv gets `pip install skypilot[aws]==0.14.1`) runs
# the same one-node launch against the same moto in-process
# (benches/aws_launch_skypilot.py, which times its EC2 calls and SSH wait).
# Its runtime setup needs the internet, which the namespace hosts lack, so
# the compared phase is launch start -> SSH ready (stix: the "Preparing
# SkyPilot runtime" spinner); see docs/benchmarks.md.
#
# Usage: sudo benches/aws_launch_bench.sh
# Env: RUNS (stix runs, default 3), SKY_RUNS (SkyPilot runs, default 3),
#      SKYREF, SKIP_STIX=1, SKIP_SKYPILOT=1, BENCH_LOGS=DIR (keep the logs)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "aws_launch_bench: needs root (network namespaces)" >&2; exit 1; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/stix-target}"
VENV="${STIX_TEST_VENV:-.venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check 'moto[server]'

PIDS=()
DIR=$(mktemp -d /tmp/stix-awsbench.XXXXXX)
REF_HOME="$DIR/skyhome"
# Processes SkyPilot left behind (its ssh ControlMasters): exactly those
# whose environment carries our temp HOME.
kill_ref_leftovers() {
  local p
  for p in $(grep -lsz "^HOME=$REF_HOME\$" /proc/[0-9]*/environ | cut -d/ -f3); do
    kill "$p" 2>/dev/null || true
  done
}
cleanup() {
  kill_ref_leftovers
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  bash scripts/testhosts.sh down "$DIR/testhosts" >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap cleanup EXIT

PORT="$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
# SkyPilot asks EC2 for the root device of the catalog's AMI
# (DescribeImages) and fails when moto lacks it: moto gets its default AMIs
# plus the catalog's us-east-1 images (same for both; stix does not ask).
"$VENV/bin/python" - "${STIX_TEST_CATALOGS:-/work/shared/catalogs/v7}/aws/images.csv" \
  >"$DIR/amis.json" <<'PY'
import csv, gzip, json, os, sys, moto
amis = json.load(gzip.open(os.path.join(os.path.dirname(moto.__file__),
                                        "ec2/resources/amis.json.gz")))
for r in csv.DictReader(open(sys.argv[1])):
    if r["Region"] == "us-east-1":
        amis.append({"ami_id": r["ImageId"], "state": "available", "public": True,
                     "owner_id": "195969729003", "name": r["Tag"],
                     "description": r["Tag"], "image_location": r["Tag"],
                     "root_device_type": "ebs", "root_device_name": "/dev/sda1",
                     "image_type": "machine", "architecture":
                     "arm64" if "arm64" in r["Tag"] else "x86_64",
                     "virtualization_type": "hvm", "hypervisor": "xen",
                     "sriov": "simple"})
json.dump(amis, sys.stdout)
PY
MOTO_AMIS_PATH="$DIR/amis.json" "$VENV/bin/moto_server" -H 127.0.0.1 -p "$PORT" >"$DIR/moto.log" 2>&1 &
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

if [ -z "${SKIP_STIX:-}" ]; then
  echo "== stix ($(git rev-parse --short HEAD), debug build)"
  cargo test -q --features aws,fetch --test bench_aws_launch -- --ignored --nocapture 2>&1 |
    grep -E "^(run|median|phase|SKIP|  |.*panicked)" | tee "$DIR/stix.txt" ||
    echo "stix's bench failed (above); SkyPilot's part runs anyway"
fi
[ -z "${SKIP_SKYPILOT:-}" ] || exit 0

SKYREF="${SKYREF:-/tmp/skyref}"
if ! "$SKYREF/bin/python" -c 'import sky, boto3; assert sky.__version__ == "0.14.1"' 2>/dev/null; then
  SKYREF="$DIR/skyvenv"
  echo "== SkyPilot 0.14.1: no venv with it at ${SKYREF%/skyvenv}; creating a throwaway one in $SKYREF (pip install skypilot[aws]==0.14.1)"
  if ! { python3 -m venv "$SKYREF" &&
         "$SKYREF/bin/pip" install -q --disable-pip-version-check 'skypilot[aws]==0.14.1'; }; then
    echo "SKIP SkyPilot: cannot install skypilot[aws]==0.14.1 (offline?)"
    exit 0
  fi
fi
mkdir -p "$REF_HOME/.sky/catalogs/v8"
cp -r "${STIX_TEST_CATALOGS:-/work/shared/catalogs/v7}"/* "$REF_HOME/.sky/catalogs/v8/"
# With use_internal_ips and no ssh_proxy_command SkyPilot goes through AWS
# SSM (`aws ssm start-session`), which moto does not serve (HTTP 500): a
# plain TCP relay stands in for it (one short python3 per ssh connection).
cat >"$REF_HOME/.sky/config.yaml" <<EOF
aws:
  vpc_name: stix-test-vpc
  use_internal_ips: true
  ssh_proxy_command: $(command -v python3) -S $PWD/benches/tcp_proxy.py %h %p
EOF
echo "== SkyPilot 0.14.1 ($SKYREF), in one process (log: $DIR/skypilot.log)"
# No AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE: SkyPilot refuses a
# path that does not exist; the temp HOME has no ~/.aws anyway.
env -u AWS_PROFILE HOME="$REF_HOME" SKYPILOT_DISABLE_USAGE_COLLECTION=1 \
  AWS_ENDPOINT_URL="$STIX_MOTO_URL" AWS_ACCESS_KEY_ID=testing \
  AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1 \
  AWS_EC2_METADATA_DISABLED=true \
  timeout 1800 "$SKYREF/bin/python" benches/aws_launch_skypilot.py \
  "$STIX_MOTO_URL" "$DIR/skypilot" "${SKY_RUNS:-3}" >"$DIR/skypilot.log" 2>&1 ||
  { echo "SkyPilot's driver failed:"; tail -20 "$DIR/skypilot.log"; }
kill_ref_leftovers
for f in "$DIR"/skypilot[0-9]*.json; do
  [ -f "$f" ] || continue
  python3 - "$f" <<'PY'
import json, re, sys
r = json.load(open(sys.argv[1]))
i = re.search(r"(\d+)\.json$", sys.argv[1]).group(1)
print(f"phase {i}: to SSH ready {r['to_ssh_ready_ms']:.0f} ms"
      f"{'' if r['ssh_ready'] else ' (never SSH ready)'}, AWS API {r['api_ms']:.0f} ms "
      f"({r['api_calls']} calls), boot {r['boot_ms']:.0f} ms, "
      f"SkyPilot overhead {r['overhead_ms']:.0f} ms")
print(f"  stages (ms from the launch call): {r['marks_ms']}")
print(f"  stopped after {r['total_ms']:.0f} ms: {r['error']}")
for line in r["traceback_tail"] or []:
    if "Could not resolve" in line:
        print(f"    {line}")
        break
if i == "0":
    print(f"  (import sky {r['import_sky_ms']:.0f} ms, before and not counted)")
PY
done
# Phase launch start -> SSH ready of both: the first run (fresh HOME: stix
# loads its catalogs, SkyPilot checks its AWS access) and the median of the
# later ones, and the ratios.
python3 - "$DIR" <<'PY'
import glob, json, os, re, statistics as st, sys
d = sys.argv[1]
stix = []
if os.path.exists(f"{d}/stix.txt"):
    for line in open(f"{d}/stix.txt"):
        m = re.match(r"phase \d+: to SSH ready (\d+) ms, EC2 API (\d+) ms, boot (\d+) ms, "
                     r"stix overhead (\d+) ms", line)
        if m:
            stix.append([float(x) for x in m.groups()])
sky = [json.load(open(f)) for f in sorted(glob.glob(f"{d}/skypilot*.json"))]
sky = [[r["to_ssh_ready_ms"], r["api_ms"], r["boot_ms"], r["overhead_ms"], r["total_ms"]]
       for r in sky if r.get("ssh_ready")]
f = lambda v: "-" if v is None else f"{v:.0f} ms"
for title, a_rows, b_rows in [("first run", stix[:1], sky[:1]),
                              ("later runs, median", stix[1:], sky[1:])]:
    med = lambda rows, k: st.median(r[k] for r in rows) if rows else None
    print(f"== launch start -> SSH ready, {title} (stix n={len(a_rows)}, "
          f"SkyPilot n={len(b_rows)})")
    print(f"{'':22}{'stix':>10}{'SkyPilot':>12}{'ratio':>8}")
    for k, name in enumerate(["wall", "EC2/AWS API", "boot (SSH wait)", "own overhead"]):
        a, b = med(a_rows, k), med(b_rows, k)
        print(f"{name:22}{f(a):>10}{f(b):>12}{f'{b / a:.1f}x' if a and b else '-':>8}")
    # Per launch, then the median: boot is mostly the harness (docs).
    a = st.median(r[0] - r[2] for r in a_rows) if a_rows else None
    b = st.median(r[0] - r[2] for r in b_rows) if b_rows else None
    print(f"{'wall minus boot':22}{f(a):>10}{f(b):>12}{f'{b / a:.1f}x' if a and b else '-':>8}")
    if b_rows:
        print(f"SkyPilot's launch call until it stopped (runtime setup offline): "
              f"{f(med(b_rows, 4))}")
PY
if [ -n "${BENCH_LOGS:-}" ]; then  # keep the logs (the temp dir goes)
  mkdir -p "$BENCH_LOGS"
  cp -r "$DIR"/skypilot* "$DIR"/stix.txt "$DIR/watcher.log" "$BENCH_LOGS/" 2>/dev/null || true
  cp -r "$REF_HOME/sky_logs" "$BENCH_LOGS/" 2>/dev/null || true
fi
