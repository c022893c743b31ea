"""The Python package's own runtime on SSH hosts: with no STIX_AGENT_BIN,
``sky launch`` uploads the extension module (``_sky.abi3.so``) and each host's
own ``python3`` runs it. Needs the namespace test hosts that scripts/test.sh
brings up (STIX_TEST_HOSTS); skipped otherwise."""
import json
import os
import subprocess
import sys

import pytest

HOSTS = os.environ.get('STIX_TEST_HOSTS')
pytestmark = pytest.mark.skipif(
    not HOSTS, reason='no SSH test hosts (STIX_TEST_HOSTS is unset; run '
    'scripts/test.sh as root)')

CLI = 'import sys; from sky import cli; sys.argv[0] = "sky"; cli.main()'


def sky_cli(*args, env):
    return subprocess.run([sys.executable, '-c', CLI, *args],
                          capture_output=True,
                          text=True,
                          env=env,
                          timeout=300,
                          check=False)


def on_host(hosts, ip, command):
    return subprocess.run([
        'ssh', '-o', 'StrictHostKeyChecking=no', '-o',
        'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-o',
        'BatchMode=yes', '-i', hosts['key'], f'root@{ip}', command
    ],
                          capture_output=True,
                          text=True,
                          timeout=60,
                          check=False)


def test_launch_deploys_the_extension_module(tmp_path):
    with open(HOSTS, encoding='utf-8') as f:
        hosts = json.load(f)
    ips = [h['ip'] for h in hosts['hosts'][-2:]]
    env = dict(os.environ, HOME=str(tmp_path))
    env.pop('STIX_AGENT_BIN', None)
    (tmp_path / '.sky').mkdir()
    (tmp_path / '.sky' / 'ssh_node_pools.yaml').write_text(
        'pypool:\n  user: root\n  identity_file: ' + hosts['key'] +
        '\n  hosts:\n' + ''.join(f'    - {ip}\n' for ip in ips))
    p = sky_cli('ssh', 'up', '--infra', 'pypool', env=env)
    assert p.returncode == 0, p.stdout + p.stderr
    try:
        p = sky_cli('launch', '-y', '-c', 'pyssh', '--infra', 'ssh/pypool',
                    '--num-nodes', '2',
                    'echo "rank=$SKYPILOT_NODE_RANK ips=$(echo '
                    '$SKYPILOT_NODE_IPS | tr " " ,)"',
                    env=env)
        assert p.returncode == 0, p.stdout + p.stderr
        p = sky_cli('logs', 'pyssh', '1', env=env)
        assert p.returncode == 0, p.stdout + p.stderr
        assert f'rank=0 ips={ips[0]},{ips[1]}' in p.stdout, p.stdout
        assert f'rank=1 ips={ips[0]},{ips[1]}' in p.stdout, p.stdout
        for ip in ips:
            # The runtime is the uploaded module, run by the host's python3.
            r = on_host(hosts, ip,
                        'readlink ~/.sky/clusters/pyssh/.sky/stix/_sky.abi3.so')
            assert r.stdout.startswith('v1-'), r.stdout + r.stderr
        r = on_host(hosts, ips[0], 'pgrep -af "[_]agent daemon"')
        assert 'python3' in r.stdout and '_sky.abi3.so' in r.stdout, r.stdout
    finally:
        sky_cli('down', '-y', 'pyssh', env=env)
        sky_cli('ssh', 'down', '--infra', 'pypool', env=env)
    for ip in ips:
        r = on_host(hosts, ip, 'pgrep -af "[_]agent" || true')
        assert r.stdout.strip() == '', r.stdout
