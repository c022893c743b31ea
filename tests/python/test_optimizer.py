"""``sky.Optimizer``, ``sky launch --dryrun``, ``sky gpus list`` and
``sky check`` against SkyPilot 0.14.1 on the same catalogs
(tests/fixtures/optimizer/README.md says how the values were recorded)."""
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

import sky

FIXTURES = pathlib.Path(__file__).parent.parent / 'fixtures' / 'optimizer'
SOURCE = pathlib.Path(
    os.environ.get('STIX_TEST_CATALOGS', '/work/shared/catalogs/v7'))
CASES = json.loads((FIXTURES / 'cases.json').read_text())
EXPECTED = {
    c['name']: c for c in json.loads((FIXTURES / 'expected.json').read_text())
}
GPUS = json.loads((FIXTURES / 'gpus_list.json').read_text())
ENABLED = ('aws,gcp,lambda,runpod,vast,cudo,primeintellect,nebius,'
           'hyperbolic,seeweb,shadeform,mithril')


@pytest.fixture(scope='module')
def home(tmp_path_factory):
    if not (SOURCE / 'aws' / 'vms.csv').exists():
        pytest.skip(f'no test catalogs at {SOURCE}')
    root = tmp_path_factory.mktemp('opt-home')
    shutil.copytree(SOURCE, root / '.sky' / 'catalogs' / 'v8')
    old = {k: os.environ.get(k) for k in ('HOME', 'STIX_ASSUME_ENABLED')}
    os.environ['HOME'] = str(root)
    os.environ['STIX_ASSUME_ENABLED'] = ENABLED
    yield root
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def _normalize(text):
    """Sorts the instance list SkyPilot prints from a Python set."""

    def sort_list(m):
        names = sorted(m.group(2).split(', '))
        return m.group(1) + ', '.join(names) + m.group(3)

    text = '\n'.join(line for line in text.split('\n')
                     if not line.startswith('Missing runtime_version'))
    return re.sub(r'(is considered among: )(.*?)(\.\x1b\[0m)', sort_list,
                  text)


def _sky(*args, **kwargs):
    cmd = [sys.executable, '-c', 'import sys; from sky.cli import main; '
           'sys.exit(main())', *args]
    proc = subprocess.run(cmd, capture_output=True, check=False, **kwargs)
    # Bytes, so the plan's '\r\n' line ends survive.
    proc.stdout = proc.stdout.decode()
    proc.stderr = proc.stderr.decode()
    return proc


SINGLE = [
    c for c in CASES
    if len(c['tasks']) == 1 and 'estimator' not in c['tasks'][0] and
    'blocked' not in c and 'enabled' not in c and not c.get('quiet') and
    c.get('minimize') != 'TIME'
]


@pytest.mark.parametrize('case', SINGLE, ids=[c['name'] for c in SINGLE])
def test_launch_dryrun_prints_skypilots_plan(case, home, tmp_path):
    want = EXPECTED[case['name']]
    yaml_path = tmp_path / 'task.yaml'
    yaml_path.write_text(json.dumps(case['tasks'][0]))
    proc = _sky('launch', '--dryrun', str(yaml_path))
    first, _, rest = proc.stdout.partition('\n')
    assert first == f'YAML to run: {yaml_path}'
    proc.stdout = rest
    assert _normalize(proc.stdout) == _normalize(want['output']), proc.stderr
    if 'error' in want:
        assert proc.returncode == 1
        err = want['error']
        qual = (f'sky.exceptions.{err["type"]}'
                if err['type'].endswith('Error') and
                err['type'] not in ('ValueError', 'KeyError') else err['type'])
        message = (repr(err['message'][1:-1])
                   if err['type'] == 'KeyError' else err['message'])
        assert proc.stderr == f'{qual}: {message}\n'
    else:
        assert proc.returncode == 0, proc.stderr


def _estimator(spec):

    def fn(r):
        accs = r.accelerators
        if accs:
            return spec.get('by_accelerator', {}).get(
                list(accs)[0], spec.get('default', 3600))
        return spec.get('default', 3600)

    return fn


PY_CASES = [
    c for c in CASES
    if 'enabled' not in c and c['name'] in (
        'gpu_A100x8', 'time_any_of', 'cost_any_of_estimator', 'chain3',
        'chain3_time', 'blocked_region', 'ordered', 'nodes_4_a100x8',
        'bad_count', 'bad_name', 'diamond', 'inputs_gs', 'quiet')
]


@pytest.mark.parametrize('case', PY_CASES, ids=[c['name'] for c in PY_CASES])
def test_python_optimizer_matches_skypilot(case, home, capsys):
    want = EXPECTED[case['name']]
    dag = sky.Dag()
    tasks = []
    with dag:
        for cfg in case['tasks']:
            cfg = dict(cfg)
            spec = cfg.pop('estimator', None)
            task = sky.Task.from_yaml_config(cfg)
            if spec is not None:
                task.set_time_estimator(_estimator(spec))
            tasks.append(task)
    for a, b in case.get('edges', []):
        dag.add_edge(tasks[a], tasks[b])
    minimize = (sky.OptimizeTarget.TIME
                if case.get('minimize') == 'TIME' else sky.OptimizeTarget.COST)
    blocked = [sky.Resources(**b) for b in case.get('blocked', [])]
    try:
        out = sky.Optimizer.optimize(dag, minimize=minimize,
                                     blocked_resources=blocked,
                                     quiet=case.get('quiet', False))
    except Exception as e:  # pylint: disable=broad-except
        assert 'error' in want, e
        assert type(e).__name__ == want['error']['type']
        assert str(e) == want['error']['message']
        return
    assert out is dag
    assert 'best' in want
    printed = capsys.readouterr().out
    chain = case['name'] != 'diamond'
    if chain:
        assert _normalize(printed.replace('\r\n', '\n')) == _normalize(
            want['output'].replace('\r\n', '\n'))
    for task, best in zip(tasks, want['best']):
        got = task.best_resources
        assert str(got.cloud) == best['cloud']
        if chain:
            assert (got.region, got.zone, got.instance_type) == (
                best['region'], best['zone'], best['instance_type'])


@pytest.mark.parametrize('case', GPUS, ids=[' '.join(c['args']) for c in GPUS])
def test_gpus_list_matches_skypilot(case, home):
    proc = _sky('gpus', 'list', *case['args'])
    want = case['output'].replace('Usage: list ',
                                  'Usage: sky gpus list ').replace(
                                      "Try 'list --help'",
                                      "Try 'sky gpus list -h'")
    got = proc.stdout if proc.returncode == 0 else proc.stdout + proc.stderr
    assert proc.returncode == case['exit_code']
    assert got == want


def test_show_gpus_is_gpus_list(home):
    a = _sky('show-gpus', 'V100', '--infra', 'aws')
    b = _sky('gpus', 'list', 'V100', '--infra', 'aws')
    assert a.returncode == 0 and a.stdout == b.stdout


def test_sky_check_without_credentials(tmp_path):
    env = dict(os.environ, HOME=str(tmp_path), STIX_CHECK_OFFLINE='1')
    env.pop('STIX_ASSUME_ENABLED', None)
    proc = _sky('check', env=env)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.startswith('Checking credentials to enable infra for SkyPilot.')
    assert '\x1b[2m  AWS: disabled \x1b[0m\x1b[0m\n' in out
    assert ('Reason [compute]: Mithril credentials not found at '
            '~/.config/mithril/config.yaml.') in out
    assert '\x1b[32m\x1b[22m  Local: enabled [compute]' in out
    assert 'sky check\x1b[0m' in out
    cache = json.loads(
        (tmp_path / '.sky' / 'stix' / 'enabled_clouds.json').read_text())
    assert cache['enabled'] == ['local']
    # Credentials appear: the cloud is enabled and planned on.
    (tmp_path / '.shadeform').mkdir()
    (tmp_path / '.shadeform' / 'api_key').write_text('key')
    proc = _sky('check', 'shadeform', env=env)
    assert '  Shadeform: enabled [compute, storage]' in proc.stdout
    cache = json.loads(
        (tmp_path / '.sky' / 'stix' / 'enabled_clouds.json').read_text())
    assert cache['enabled'] == ['local', 'shadeform']
    proc = _sky('check', '-o', 'json', 'shadeform', env=env)
    assert json.loads(proc.stdout) == {
        'default': {
            'Shadeform': ['compute', 'storage']
        }
    }
    proc = _sky('check', 'nope', env=env)
    assert proc.returncode == 1
    assert proc.stderr.startswith(
        "ValueError: Cloud 'nope' is not a valid cloud among [")


def test_local_only_plans_cpu_tasks_locally(tmp_path):
    env = dict(os.environ, HOME=str(tmp_path), STIX_ASSUME_ENABLED='local')
    proc = _sky('launch', '--dryrun', '--cpus', '1', 'echo hi', env=env)
    assert proc.returncode == 0, proc.stderr
    assert 'Local (local)' in proc.stdout
