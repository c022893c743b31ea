"""SkyPilot 0.14.1's one-node AWS launch on the local AWS, timed by phase.

Run by benches/aws_launch_bench.sh with SkyPilot's own interpreter (never
imported by stix or its tests), after it has started moto and the local AWS
watcher (tests/aws_support/local_aws.py) and set HOME (a temp dir holding
~/.sky/config.yaml and the offline catalogs), AWS_ENDPOINT_URL and fake
credentials. The launch is SkyPilot's server-side `sky.execution.launch`
called in this process (what its API server's worker runs for `sky launch`),
the same scope as stix's `backend::launch` in tests/bench_aws_launch.rs.

SkyPilot's runtime setup needs the internet (it fetches uv from astral.sh,
then installs its wheel and ray on the node), which the namespace hosts
lack, so the launch stops there.
The comparable phase is from the launch call to SSH ready (the end of
`provisioner.wait_for_ssh`). Timing hooks, all in this process:
  * every botocore API call (`BaseClient._make_api_call`): start, end,
    operation (EC2, STS, IAM), and every boto waiter; AWS API time = the
    union of these intervals (calls from threads overlap),
  * `provisioner.wait_for_ssh` (the boot wait; stix's `ssh_wait::waited`),
  * `provisioner.bulk_provision` (run + wait for `running`).

Runs one after another in this process (cluster skybench0, 1, ...; moto
reset and the VPC remade before each, untimed), like stix's bench: the
first launch pays for SkyPilot's cloud-access check and lazy imports, the
later ones find them done, as its API server's long-lived workers would.

    aws_launch_skypilot.py MOTO_URL OUT_PREFIX [RUNS]   (OUT_PREFIX<i>.json)
"""

import json
import os
import sys
import threading
import time
import traceback
import urllib.request

T_PROC = time.perf_counter()
MOTO, OUT = sys.argv[1], sys.argv[2]
RUNS = int(sys.argv[3]) if len(sys.argv) > 3 else 1
VPC_NAME = "stix-test-vpc"
ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"]

calls = []  # (start, end, service, operation, error or None)
waits = []  # (start, end) of boto waiters
marks = {}  # name -> perf_counter
lock = threading.Lock()


def mark(name):
    with lock:
        marks.setdefault(name, time.perf_counter())


def hook_botocore():
    import botocore.client

    orig = botocore.client.BaseClient._make_api_call

    def timed(self, operation, params):
        t0 = time.perf_counter()
        err = None
        try:
            return orig(self, operation, params)
        except Exception as e:
            err = type(e).__name__ + ": " + str(e)[:200]
            raise
        finally:
            t1 = time.perf_counter()
            with lock:
                calls.append((t0, t1, self.meta.service_model.service_name,
                              operation, err))

    botocore.client.BaseClient._make_api_call = timed

    # Waiting for an instance state (boto waiters sleep between polls)
    # counts as time on AWS, as stix's `aws_client::note_wait` does.
    import botocore.waiter
    orig_wait = botocore.waiter.Waiter.wait

    def timed_wait(self, **kw):
        t0 = time.perf_counter()
        try:
            return orig_wait(self, **kw)
        finally:
            with lock:
                waits.append((t0, time.perf_counter()))

    botocore.waiter.Waiter.wait = timed_wait


def wrap(module, name, start, end):
    orig = getattr(module, name)

    def timed(*a, **kw):
        mark(start)
        try:
            return orig(*a, **kw)
        finally:
            mark(end)

    setattr(module, name, timed)


def union(intervals, lo, hi):
    """Seconds of [lo, hi] covered by the intervals."""
    total, cur_s, cur_e = 0.0, None, None
    for s, e in sorted((max(s, lo), min(e, hi)) for s, e in intervals):
        if e <= s:
            continue
        if cur_e is None or s > cur_e:
            if cur_e is not None:
                total += cur_e - cur_s
            cur_s, cur_e = s, e
        else:
            cur_e = max(cur_e, e)
    if cur_e is not None:
        total += cur_e - cur_s
    return total


def make_vpc():
    """The test VPC of tests/aws_support (10.213.0.0/16, a subnet per zone)
    and SkyPilot's IAM instance profile (moto was reset: no VPC yet)."""
    import boto3
    c = boto3.client("ec2", region_name="us-east-1", endpoint_url=MOTO)
    vpc = c.create_vpc(CidrBlock="10.213.0.0/16", TagSpecifications=[{
        "ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": VPC_NAME}]
    }])["Vpc"]["VpcId"]
    # The block scripts/testhosts.sh reserved for this run (as
    # tests/aws_support's subnet_cidr), so parallel runs never share an IP.
    base = int(os.environ.get("STIX_TEST_AWS_NET", "200"))
    for i, z in enumerate(ZONES):
        c.create_subnet(VpcId=vpc, CidrBlock=f"10.213.{base + 1 + i}.0/24",
                        AvailabilityZone=z)
    # The default IAM role and instance profile, as in any account where
    # SkyPilot launched before: creating them costs its first launch two
    # 15 s propagation sleeps (provision/aws/config.py), which stix lacks.
    iam = boto3.client("iam", region_name="us-east-1", endpoint_url=MOTO)
    trust = {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                            "Principal": {"Service": "ec2.amazonaws.com"}}]}
    iam.create_role(RoleName="skypilot-v1",
                    AssumeRolePolicyDocument=json.dumps(trust))
    iam.create_instance_profile(InstanceProfileName="skypilot-v1")
    iam.add_role_to_instance_profile(InstanceProfileName="skypilot-v1",
                                     RoleName="skypilot-v1")


def reset_moto():
    """Empties moto and waits until the local AWS has dropped the old
    hosts (the next instance gets the same address; an old host answering
    would fake a fast SSH wait)."""
    urllib.request.urlopen(
        urllib.request.Request(MOTO + "/moto-api/reset", method="POST"))
    state = os.path.join(os.environ.get("STIX_LOCAL_AWS", ""), "state.json")
    if not os.path.exists(state):
        return
    p0 = json.load(open(state))["polls"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        st = json.load(open(state))
        if st["polls"] > p0 + 1 and not st["hosts"]:
            return
        time.sleep(0.05)
    sys.exit("the local AWS kept its hosts after a moto reset")


def launch_once(execution, task, cluster):
    """One launch, timed; the record written as JSON."""
    marks.clear()
    t0 = time.perf_counter()
    error = None
    try:
        execution.launch(task, cluster_name=cluster, stream_logs=True)
        # (never reached without internet on the node)
    except BaseException as e:  # SystemExit / click exits included
        error = (type(e).__module__ + "." + type(e).__name__ + ": "
                 + str(e).strip().splitlines()[0][:300] if str(e).strip()
                 else type(e).__name__)
        tb = traceback.format_exc()
    else:
        tb = None
    t_end = time.perf_counter()
    ssh_ready = marks.get("ssh_ready")
    phase_end = ssh_ready if ssh_ready is not None else t_end
    mine = [c for c in calls if t0 <= c[0] <= t_end]
    spans = [(s, e) for s, e, *_ in mine] + waits
    api = union(spans, t0, phase_end)
    boot = 0.0
    if "ssh_wait_start" in marks:
        boot = phase_end - marks["ssh_wait_start"]
    ops = {}
    for s, e, svc, op, err in mine:
        if s < phase_end:
            k = f"{svc}.{op}" + (" (error)" if err else "")
            ops[k] = ops.get(k, 0) + 1
    rel = {k: round((v - t0) * 1e3, 1) for k, v in sorted(marks.items(),
                                                           key=lambda x: x[1])}
    return {
        "ssh_ready": ssh_ready is not None,
        "to_ssh_ready_ms": round((phase_end - t0) * 1e3, 1),
        "api_ms": round(api * 1e3, 1),
        "api_calls": sum(ops.values()),
        "boot_ms": round(boot * 1e3, 1),
        "overhead_ms": round((phase_end - t0 - api - boot) * 1e3, 1),
        "total_ms": round((t_end - t0) * 1e3, 1),
        "api_total_ms": round(union(spans, t0, t_end) * 1e3, 1),
        "waiter_ms": round(union(waits, t0, t_end) * 1e3, 1),
        "marks_ms": rel,
        "calls_to_ssh_ready": ops,
        "error": error,
        "traceback_tail": tb.strip().splitlines()[-12:] if tb else None,
        "failed_calls": [f"{svc}.{op}: {err}" for _, _, svc, op, err in mine
                         if err][:20],
    }


def main():
    t_imp = time.perf_counter()
    import sky
    from sky import execution
    from sky.provision import provisioner
    t_imported = time.perf_counter()
    hook_botocore()
    wrap(provisioner, "bulk_provision", "bulk_provision_start",
         "bulk_provision_end")
    wrap(provisioner, "wait_for_ssh", "ssh_wait_start", "ssh_ready")
    wrap(provisioner, "post_provision_runtime_setup", "post_provision_start",
         "post_provision_end")
    task = sky.Task(setup="echo setup", run="echo hi")
    task.set_resources(sky.Resources(infra="aws/us-east-1",
                                     instance_type="m6i.large"))
    for i in range(RUNS):
        # Outside the timed launch, as tests/bench_aws_launch.rs does.
        reset_moto()
        make_vpc()
        out = launch_once(execution, task, f"skybench{i}")
        out["import_sky_ms"] = round((t_imported - t_imp) * 1e3, 1)
        out["python_start_to_import_ms"] = round((t_imp - T_PROC) * 1e3, 1)
        with open(f"{OUT}{i}.json", "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
