"""Memory-based accelerator requests expand through the catalog exactly as in
SkyPilot 0.14.1 (tests/fixtures/catalog/memory_accelerators.json)."""
import json
import os
import pathlib
import shutil

import pytest

import sky

FIXTURE = (pathlib.Path(__file__).parent.parent / 'fixtures' / 'catalog' /
           'memory_accelerators.json')
SOURCE = pathlib.Path(
    os.environ.get('STIX_TEST_CATALOGS', '/work/shared/catalogs/v7'))
CASES = json.loads(FIXTURE.read_text())


@pytest.fixture(scope='module')
def _home(tmp_path_factory):
    if not (SOURCE / 'common' / 'accelerators.csv').exists():
        pytest.skip(f'no test catalogs at {SOURCE} (set STIX_TEST_CATALOGS)')
    home = tmp_path_factory.mktemp('memacc-home')
    shutil.copytree(SOURCE, home / '.sky' / 'catalogs' / 'v8')
    return home


@pytest.fixture
def home(_home, monkeypatch):
    monkeypatch.setenv('HOME', str(_home))
    monkeypatch.delenv('SKY_RUNTIME_DIR', raising=False)
    return _home


@pytest.mark.parametrize('case', CASES, ids=[json.dumps(c['accelerators'])
                                             for c in CASES])
def test_memory_accelerators(case, home):
    acc = case['accelerators']
    if not case['ok']:
        with pytest.raises(Exception) as info:
            sky.Resources.from_yaml_config({'accelerators': acc})
        assert type(info.value).__name__ == case['error']['type']
        assert str(info.value) == case['error']['message']
        return
    rs = sky.Resources.from_yaml_config({'accelerators': acc})
    assert ('set' if isinstance(rs, set) else 'list') == case['kind']
    items = sorted(rs, key=repr) if isinstance(rs, set) else list(rs)
    assert [repr(r) for r in items] == case['reprs']
    assert [r.to_yaml_config() for r in items] == case['yaml']
    t = sky.Task.from_yaml_config({'resources': {'accelerators': acc},
                                   'run': 'x'})
    y = t.to_yaml_config()
    if 'any_of' in y.get('resources', {}):
        y['resources']['any_of'] = sorted(
            y['resources']['any_of'],
            key=lambda d: json.dumps(d, sort_keys=True))
    assert y == case['task_yaml']
