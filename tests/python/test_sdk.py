"""The SDK (``sky.launch``, ``sky.get``, ...) on the local infra: requests
run in-process and are journaled, results have SkyPilot's shapes, errors
SkyPilot's classes."""
import pytest

import sky
from sky import exceptions


@pytest.fixture
def home(local_sky_home):
    return local_sky_home


def test_cluster_lifecycle_through_the_sdk(home, capfd):
    task = sky.Task(run='echo rank=$SKYPILOT_NODE_RANK', num_nodes=2)
    request_id = sky.launch(task, cluster_name='sdk')
    assert isinstance(request_id, str)
    job_id, handle = sky.stream_and_get(request_id)
    assert job_id == 1 and handle.get_cluster_name() == 'sdk'
    assert sky.tail_logs('sdk', job_id, follow=True) == 0
    out = capfd.readouterr().out
    assert 'rank=0' in out and 'rank=1' in out

    job_id, _ = sky.get(sky.exec(sky.Task(run='exit 3'), cluster_name='sdk'))
    assert sky.tail_logs('sdk', job_id, follow=True) == 100
    assert sky.get(sky.job_status('sdk', [job_id])) == {
        job_id: sky.JobStatus.FAILED
    }
    jobs = sky.get(sky.queue('sdk'))
    assert [j['job_id'] for j in jobs] == [2, 1]
    assert jobs[1]['status'] == sky.JobStatus.SUCCEEDED

    [record] = sky.get(sky.status(['sdk']))
    assert record['name'] == 'sdk'
    assert record['status'] == sky.ClusterStatus.UP
    sky.get(sky.autostop('sdk', 30))
    assert sky.get(sky.status(['sdk']))[0]['autostop'] == 30

    sky.get(sky.stop('sdk'))
    assert sky.get(sky.status(['sdk']))[0]['status'] == sky.ClusterStatus.STOPPED
    with pytest.raises(exceptions.ClusterNotUpError):
        sky.get(sky.exec(sky.Task(run='true'), cluster_name='sdk'))
    sky.get(sky.start('sdk'))
    sky.get(sky.down('sdk'))
    assert sky.get(sky.status()) == []
    assert any(r['name'] == 'sdk'
               for r in sky.get(sky.cost_report()))

    names = [r['name'] for r in sky.api_status(all_status=True)]
    assert 'sky.launch' in names and 'sky.down' in names
    assert all(r['status'] in ('SUCCEEDED', 'FAILED')
               for r in sky.api_status(all_status=True))


def test_errors_keep_skypilot_classes(home):
    with pytest.raises(exceptions.ClusterDoesNotExist,
                       match="Cluster 'nope' does not exist."):
        sky.get(sky.queue('nope'))
    assert sky.api_status() == []
    assert sky.get(sky.api_cancel(all_users=True)) == []


def test_api_status_lists_sdk_requests(home):
    import subprocess
    import sys
    request_id = sky.status()
    sky.get(request_id)
    code = 'import sys; from sky import cli; sys.argv[0] = "sky"; cli.main()'
    p = subprocess.run([sys.executable, '-c', code, 'api', 'status', '-a'],
                       capture_output=True, text=True, check=False)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].split() == ['ID', 'User', 'Name', 'Created', 'Status']
    assert lines[1].startswith(request_id[:30])
    assert lines[1].split()[2] == 'sky.status'
    assert lines[1].rstrip().endswith('SUCCEEDED')


def test_long_requests_run_in_a_worker_and_cancel_stops_it(home):
    import fcntl
    import os
    import time
    # Holding the cluster's lock keeps the worker's launch waiting in it.
    locks = os.path.join(os.environ['HOME'], '.sky', 'locks')
    os.makedirs(locks, exist_ok=True)
    with open(os.path.join(locks, '.held.lock'), 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        request_id = sky.launch(sky.Task(run='echo never'), cluster_name='held')
        deadline = time.time() + 20
        while sky.api_status([request_id])[0]['status'] != 'RUNNING':
            assert time.time() < deadline
            time.sleep(0.05)
        pid = sky.api_status([request_id])[0]['pid']
        assert pid is not None and pid != os.getpid()
        assert sky.get(sky.api_cancel(request_id)) == [request_id]
        with pytest.raises(exceptions.RequestCancelled,
                           match='is cancelled by another process'):
            sky.get(request_id)
    # The worker process is gone (a zombie at most until init reaps it).
    try:
        with open(f'/proc/{pid}/stat', encoding='utf-8') as f:
            assert f.read().split(' ')[2] in ('Z', 'X')
    except FileNotFoundError:
        pass


def test_launch_dryrun_prints_the_plan_and_launches_nothing(home, capfd):
    task = sky.Task(run='echo hi', num_nodes=2)
    dag = sky.Dag()
    dag.add(task)
    for target in (task, dag):
        assert sky.stream_and_get(sky.launch(target, cluster_name='dry',
                                             dryrun=True)) == (None, None)
        out = capfd.readouterr().out
        assert out.startswith('Considered resources (2 nodes):\n'), out
        assert ' Local (local) ' in out
        assert out.endswith('Dryrun finished.\n')
    assert sky.get(sky.status()) == []
    # `get` waits without printing.
    assert sky.get(sky.launch(task, cluster_name='dry',
                              dryrun=True)) == (None, None)
    assert capfd.readouterr().out == ''


def test_a_launch_nothing_can_serve_lists_its_failover_history(home, capfd,
                                                              monkeypatch):
    # A cloud stix cannot provision on yet: every candidate is blocked.
    catalog = home / '.sky' / 'catalogs' / 'v8' / 'lambda'
    catalog.mkdir(parents=True)
    (catalog / 'vms.csv').write_text(
        'InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,'
        'Price,Region,GpuInfo,SpotPrice\n'
        'cpu_4x_general,,,4.0,16.0,0.2,europe-central-1,,\n')
    monkeypatch.setenv('STIX_ASSUME_ENABLED', 'lambda')
    task = sky.Task(run='echo hi')
    task.set_resources(
        sky.Resources(infra='lambda', instance_type='cpu_4x_general'))
    with pytest.raises(exceptions.ResourcesUnavailableError) as info:
        sky.stream_and_get(sky.launch(task, cluster_name='nowhere'))
    e = info.value
    assert str(e).startswith(
        '\x1b[31mFailed to provision all possible launchable resources.')
    assert 'Provision failures (tried 1 infra):' in str(e)
    assert [type(h).__name__ for h in e.failover_history] == [
        'NotSupportedError'
    ]
    assert 'Considered resources (1 node):' in capfd.readouterr().out
    assert sky.get(sky.status()) == []
