"""The local AWS: makes moto's instances reachable over SSH.

moto (scripts/test.sh runs it on 127.0.0.1) emulates the EC2 API but runs
no machines. This watcher polls it a few times per second and, for every
*running* instance whose private IP lies in 10.213.0.0/16, brings up a
namespace SSH host at exactly that address (scripts/testhosts.sh add-host):
the login user and authorized keys are the ones the instance's cloud-init
UserData lists (stix puts the user's key there, as SkyPilot does), the user
is a real non-root account (uid 1000) and its home directory lives on disk
under STATE/homes/<instance id>, so it survives stop/start like an EBS root
volume. A host goes away when its instance stops, terminates or vanishes
(moto resets between tests), and the home with it once the instance is
terminated or gone. Instances tagged `stix-local-aws: off` get no host
(for tests of an instance whose SSH never comes up).

    local_aws.py MOTO_URL STATE_DIR [REGION ...]   (default region us-east-1)

STATE_DIR/state.json, rewritten after every poll:
    {"polls": N, "hosts": {"i-...": "10.213.x.y", ...}}
Runs until SIGTERM/SIGINT or until its parent exits; then removes every
host it made and every home.
"""

import base64
import ipaddress
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import boto3
import yaml

NET = ipaddress.ip_network("10.213.0.0/16")
INTERVAL = 0.25
SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                      "scripts", "testhosts.sh")
DEFAULT_USER = "ubuntu"


def log(msg):
    print(f"{time.strftime('%H:%M:%S')} {msg}", flush=True)


def host_name(instance_id):
    """Namespace name (12 characters at most) from the instance id."""
    return "aws" + instance_id.replace("i-", "")[-9:]


def login_of(user_data_b64):
    """(user, [keys]) from cloud-init UserData as stix and SkyPilot write it."""
    if not user_data_b64:
        return DEFAULT_USER, []
    try:
        doc = yaml.safe_load(base64.b64decode(user_data_b64).decode())
    except Exception as e:  # not cloud-config: no keys, as cloud-init would
        log(f"unreadable UserData: {e}")
        return DEFAULT_USER, []
    if not isinstance(doc, dict):
        log("UserData is not a cloud-config mapping")
        return DEFAULT_USER, []
    for u in doc.get("users") or []:
        if isinstance(u, dict) and u.get("name"):
            keys = [k.strip() for k in u.get("ssh_authorized_keys") or []]
            return str(u["name"]), [k for k in keys if k]
    return DEFAULT_USER, []


class Watcher:
    def __init__(self, moto, state, regions):
        self.state = state
        self.th_dir = os.path.join(state, "testhosts")
        self.homes = os.path.join(state, "homes")
        os.makedirs(self.homes, exist_ok=True)
        self.clients = {
            r: boto3.client("ec2", region_name=r, endpoint_url=moto,
                            aws_access_key_id="testing",
                            aws_secret_access_key="testing")
            for r in regions
        }
        self.hosts = {}  # instance id -> ip
        self.polls = 0

    def testhosts(self, *args):
        r = subprocess.run(["bash", SCRIPT, *args], capture_output=True,
                           text=True, timeout=180)
        if r.returncode != 0:
            log(f"testhosts.sh {' '.join(args)}: {r.stderr.strip()}")
        return r.returncode == 0

    def describe(self):
        """{instance id: (region, state, private ip, tags)} of every region."""
        out = {}
        for region, c in self.clients.items():
            for page in c.get_paginator("describe_instances").paginate():
                for res in page["Reservations"]:
                    for i in res["Instances"]:
                        tags = {t["Key"]: t["Value"] for t in i.get("Tags", [])}
                        out[i["InstanceId"]] = (region, i["State"]["Name"],
                                                i.get("PrivateIpAddress"), tags)
        return out

    def wanted(self, info):
        _, state, ip, tags = info
        return (state == "running" and ip is not None
                and ipaddress.ip_address(ip) in NET
                and tags.get("stix-local-aws") != "off")

    def add(self, iid, region, ip):
        attr = self.clients[region].describe_instance_attribute(
            InstanceId=iid, Attribute="userData")
        user, keys = login_of(attr.get("UserData", {}).get("Value"))
        keys_file = os.path.join(self.homes, f"{iid}.keys")
        with open(keys_file, "w") as f:
            f.write("".join(k + "\n" for k in keys))
        home = os.path.join(self.homes, iid)
        start = time.monotonic()
        if self.testhosts("add-host", host_name(iid), ip, self.th_dir, user,
                          keys_file, home):
            self.hosts[iid] = ip
            log(f"up {iid} {user}@{ip} in {time.monotonic() - start:.2f}s")

    def remove(self, iid):
        self.testhosts("kill-host", host_name(iid))
        shutil.rmtree(os.path.join(self.th_dir, "hosts", host_name(iid)),
                      ignore_errors=True)
        log(f"down {iid} {self.hosts.pop(iid)}")

    def drop_home(self, iid):
        shutil.rmtree(os.path.join(self.homes, iid), ignore_errors=True)
        try:
            os.remove(os.path.join(self.homes, f"{iid}.keys"))
        except FileNotFoundError:
            pass

    def poll(self):
        seen = self.describe()
        # Hosts of instances that stopped or vanished go first: a moto reset
        # lets a new instance take the same address in the same poll.
        for iid in list(self.hosts):
            if iid not in seen or not self.wanted(seen[iid]) \
                    or seen[iid][2] != self.hosts[iid]:
                self.remove(iid)
        for name in os.listdir(self.homes):
            iid = name.removesuffix(".keys")
            gone = iid not in seen or seen[iid][1] in ("shutting-down", "terminated")
            if gone and iid not in self.hosts:
                self.drop_home(iid)
        for iid, info in sorted(seen.items()):
            if iid not in self.hosts and self.wanted(info):
                try:
                    self.add(iid, info[0], info[2])
                except Exception as e:  # gone since describe (a reset)
                    log(f"cannot add {iid}: {e!r}")
        self.polls += 1
        self.write_state()

    def write_state(self):
        tmp = os.path.join(self.state, "state.json.tmp")
        with open(tmp, "w") as f:
            json.dump({"polls": self.polls, "hosts": self.hosts}, f)
        os.replace(tmp, os.path.join(self.state, "state.json"))

    def shutdown(self):
        for iid in list(self.hosts):
            self.remove(iid)
        self.testhosts("down", self.th_dir)
        for name in os.listdir(self.homes):
            self.drop_home(name.removesuffix(".keys"))
        self.write_state()


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    moto, state = sys.argv[1], sys.argv[2]
    regions = sys.argv[3:] or ["us-east-1"]
    w = Watcher(moto, state, regions)
    stop = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.append(1))
    parent = os.getppid()
    log(f"watching {moto} ({', '.join(regions)})")
    while not stop and os.getppid() == parent:
        try:
            w.poll()
        except Exception as e:  # moto restarting or busy: try again
            log(f"poll failed: {e!r}")
        time.sleep(INTERVAL)
    w.shutdown()
    log("stopped")


if __name__ == "__main__":
    main()
