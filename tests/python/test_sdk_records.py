"""``sky.status()`` records, ``sdk.tail_provision_logs`` and graceful
teardown through the SDK on the local infra, compared with what SkyPilot
0.14.1 gives (tests/fixtures/cli_left/status_response.json)."""
import getpass
import json
import os
import pathlib

import pytest

import sky
from sky import exceptions
from sky.client import sdk
from sky.schemas.api import responses

FIXTURE = json.loads(
    (pathlib.Path(__file__).parents[1] / 'fixtures' / 'cli_left' /
     'status_response.json').read_text())


@pytest.fixture
def home(local_sky_home):
    return local_sky_home


def _minimal():
    return responses.StatusResponse(
        name='c', launched_at=1, status=sky.ClusterStatus.UP, autostop=-1,
        to_down=False, cluster_hash='h', cluster_ever_up=True, user_hash='u',
        user_name='n', workspace='default', is_managed=False, nodes=1)


def test_status_response_behaves_as_skypilots():
    r = _minimal()
    assert list(r.keys()) == FIXTURE['example_keys']
    assert r.model_dump(mode='json', exclude={'handle', 'credentials'}) == \
        FIXTURE['example_json']
    assert ('name' in r) is FIXTURE['contains_name']
    assert r.get('nope', 'dflt') == FIXTURE['get_missing']
    assert repr(r).startswith(FIXTURE['repr_prefix'])
    assert r['status'] is sky.ClusterStatus.UP and r.status is r['status']
    r['autostop'] = 5
    assert r.autostop == 5
    with pytest.raises(KeyError):
        r['nope']  # pylint: disable=pointless-statement
    with pytest.raises(ValueError, match='nodes'):
        responses.StatusResponse(**{
            k: v for k, v in r.items() if k != 'nodes'})


def test_status_records_have_skypilots_shape(home, capfd):
    task = sky.Task(run='echo hi', num_nodes=2)
    sky.stream_and_get(sky.launch(task, cluster_name='rec'))
    [r] = sky.get(sky.status())
    assert isinstance(r, responses.StatusResponse)
    assert list(r.keys()) == FIXTURE['status_response_fields']
    assert r.name == 'rec' and r['name'] == 'rec'
    assert r.status is sky.ClusterStatus.UP
    assert isinstance(r.launched_at, int) and r.launched_at > 0
    assert r.handle.get_cluster_name() == 'rec'
    assert (r.autostop, r.to_down, r.nodes) == (-1, False, 2)
    assert r.cluster_ever_up is True and r.is_managed is False
    assert r.cloud == 'Local' and r.workspace == 'default'
    assert r.credentials is None and isinstance(r.cluster_hash, str)
    # One shape with `sky status -o json`: the same record less the handle.
    import subprocess
    import sys
    code = 'import sys; from sky import cli; sys.argv[0] = "sky"; cli.main()'
    p = subprocess.run([sys.executable, '-c', code, 'status', '-o', 'json'],
                       capture_output=True, text=True, check=True)
    [cli_record] = json.loads(p.stdout)
    mine = r.model_dump(mode='json', exclude={'handle', 'credentials'})
    assert set(cli_record) == set(mine)
    for key in ('name', 'launched_at', 'status', 'cluster_hash',
                'resources_str', 'resources_str_full', 'nodes', 'cloud'):
        assert cli_record[key] == mine[key], key

    jobs = sky.get(sky.queue('rec'))
    assert [type(j) for j in jobs] == [responses.ClusterJobRecord]
    assert list(jobs[0].keys()) == FIXTURE['cluster_job_record_fields']
    assert jobs[0].job_id == 1 and jobs[0]['status'] in sky.JobStatus
    # SkyPilot names the user (not the hash) in `username`.
    assert jobs[0].username == (os.environ.get('SKYPILOT_USER') or
                                getpass.getuser())
    assert isinstance(jobs[0].user_hash, str) and jobs[0].metadata == {}

    capfd.readouterr()
    assert sdk.tail_provision_logs('rec', follow=False) == 0
    out = capfd.readouterr().out
    assert '==================== Provisioning ====================' in out
    assert 'Cluster launched: rec.' in out
    assert sdk.tail_provision_logs('rec', worker=1, follow=False,
                                   tail=1) == 0
    out = capfd.readouterr().out
    assert 'setup_runtime_on_cluster.log <==' in out
    assert out.endswith('] SkyPilot runtime ready.\n')
    with pytest.raises(ValueError, match='Worker must be a positive integer.'):
        sdk.tail_provision_logs('rec', worker=0)
    with pytest.raises(exceptions.CommandError) as e:
        sdk.tail_provision_logs('nope')
    assert str(e.value) == (
        'Command tail_provision_logs failed with return code 404.\n'
        'Failed to stream provision logs\n'
        '{"detail":"Provision log path is not recorded for this cluster. '
        'Please relaunch to generate provisioning logs."}')


def test_graceful_down_through_the_sdk(home):
    task = sky.Task(run='sleep 300')
    sky.stream_and_get(sky.launch(task, cluster_name='gr'))
    request_id = sky.down('gr', graceful=True, graceful_timeout=5)
    sky.stream_and_get(request_id)
    assert sky.get(sky.status()) == []
    log = pathlib.Path(home, '.sky', 'api_server', 'requests',
                       f'{request_id}.log').read_text()
    assert 'Graceful shutdown enabled. Terminating user jobs on gr...' in log
    assert "Flushing MOUNT_CACHED uploads on all nodes of 'gr'..." in log
