"""``Optimizer.optimize_job_group`` places a job group on one common infra
as SkyPilot 0.14.1 does (tests/fixtures/job_group/README.md says how the
values were recorded)."""
import json
import os
import pathlib
import re
import shutil

import pytest

from sky.optimizer import Optimizer
from sky.utils import common
from sky.utils import dag_utils

FIXTURES = pathlib.Path(__file__).parent.parent / 'fixtures' / 'job_group'
RECORDED = json.loads((FIXTURES / 'recorded.json').read_text())
CASES = RECORDED['cases']
EXPECTED = RECORDED['expected']
SOURCE = pathlib.Path(
    os.environ.get('STIX_TEST_CATALOGS', '/work/shared/catalogs/v7'))
ENABLED = ('aws,gcp,lambda,runpod,vast,cudo,primeintellect,nebius,'
           'hyperbolic,seeweb,shadeform,mithril')
OTHERS = re.compile(r'^(Other available common infras: ).*?((, \.\.\. '
                    r'\(\d+ more\))?)$')


@pytest.fixture(scope='module')
def home(tmp_path_factory):
    if not (SOURCE / 'aws' / 'vms.csv').exists():
        pytest.skip(f'no test catalogs at {SOURCE}')
    root = tmp_path_factory.mktemp('jg-home')
    shutil.copytree(SOURCE, root / '.sky' / 'catalogs' / 'v8')
    old = {k: os.environ.get(k) for k in ('HOME', 'STIX_ASSUME_ENABLED')}
    os.environ['HOME'] = str(root)
    yield root
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def _normalize(text):
    lines = []
    for line in text.replace('\r\n', '\n').split('\n'):
        if line.startswith(('Loaded Job Group', 'Missing runtime_version')):
            continue
        # Set order in SkyPilot: keep how many there were, not which.
        m = OTHERS.match(line)
        if m:
            line = m.group(1) + '<3 of them>' + m.group(2)
        lines.append(line)
    return '\n'.join(lines)


@pytest.mark.parametrize('case', CASES, ids=[c['id'] for c in CASES])
def test_job_group_placement_matches_skypilot(case, home, capsys,
                                              monkeypatch):
    want = EXPECTED[case['id']]
    monkeypatch.setenv('STIX_ASSUME_ENABLED',
                       ','.join(case.get('enabled', ENABLED.split(','))))
    dag = dag_utils.load_job_group_from_yaml_str(case['yaml'])
    capsys.readouterr()
    minimize = (common.OptimizeTarget.TIME
                if case['minimize'] == 'TIME' else common.OptimizeTarget.COST)
    try:
        Optimizer.optimize_job_group(dag, minimize=minimize,
                                     quiet=case['quiet'])
    except Exception as e:  # pylint: disable=broad-except
        assert 'error' in want, e
        assert (type(e).__name__, str(e)) == (want['error']['type'],
                                              want['error']['message'])
        return
    finally:
        printed = capsys.readouterr().out
        assert _normalize(printed) == _normalize(want['output'])
    assert 'error' not in want
    assert dag.inter_connection == want['inter_connection']
    for task, best in zip(dag.tasks, want['best']):
        got = task.best_resources
        assert task.name == best['task']
        assert (str(got.cloud), got.region, got.zone, got.instance_type,
                got.use_spot) == (best['cloud'], best['region'], best['zone'],
                                  best['instance_type'], best['use_spot'])
        assert sorted(repr(r) for r in task.resources) == \
            best['resources_after']
