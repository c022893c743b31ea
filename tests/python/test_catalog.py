"""``sky.list_accelerators`` against SkyPilot 0.14.1 on the same catalogs
(tests/fixtures/catalog/README.md says how the values were recorded)."""
import json
import math
import os
import pathlib
import shutil

import pytest

import sky
from sky.catalog.common import InstanceTypeInfo

FIXTURES = pathlib.Path(__file__).parent.parent / 'fixtures' / 'catalog'
SOURCE = pathlib.Path(
    os.environ.get('STIX_TEST_CATALOGS', '/work/shared/catalogs/v7'))
CASES = json.loads((FIXTURES / 'list.json').read_text())


@pytest.fixture(scope='module')
def _shared_home(tmp_path_factory):
    if not (SOURCE / 'aws' / 'vms.csv').exists():
        pytest.skip(f'no test catalogs at {SOURCE}')
    home = tmp_path_factory.mktemp('catalog-home')
    shutil.copytree(SOURCE, home / '.sky' / 'catalogs' / 'v8')
    return home


@pytest.fixture
def catalog_home(_shared_home, monkeypatch):
    # One copy for the module: stix caches parsed catalogs per directory.
    monkeypatch.setenv('HOME', str(_shared_home))
    monkeypatch.delenv('SKY_RUNTIME_DIR', raising=False)
    return _shared_home


def _same(got, want):
    if isinstance(want, str) and want == 'nan':
        return isinstance(got, float) and math.isnan(got)
    if isinstance(want, float) or isinstance(got, float):
        if want is None or got is None:
            return want is got
        return math.isclose(got, want, rel_tol=1e-9, abs_tol=0)
    return got == want


@pytest.mark.parametrize('case', CASES,
                         ids=[f'{c["clouds"]}-{json.dumps(c["kwargs"])}'
                              for c in CASES])
def test_list_accelerators_matches_skypilot(case, catalog_home):
    want = case['result']
    try:
        got = sky.list_accelerators(clouds=case['clouds'], **case['kwargs'])
    except Exception as e:  # pylint: disable=broad-except
        assert 'error' in want, e
        assert type(e).__name__ in want['error']['mro']
        return
    assert 'ok' in want, got
    assert list(got) == list(want['ok'])
    for name, rows in got.items():
        assert len(rows) == len(want['ok'][name]), name
        for row, expected in zip(rows, want['ok'][name]):
            assert isinstance(row, InstanceTypeInfo)
            assert all(_same(g, w) for g, w in zip(row, expected)), (row,
                                                                    expected)


def test_catalog_module_shape(catalog_home):
    assert sky.list_accelerators is sky.catalog.list_accelerators
    got = sky.catalog.list_accelerators(name_filter='H100', clouds='lambda')
    assert list(got) == ['H100']
    assert all(info.cloud == 'Lambda' for info in got['H100'])
    assert 'A100' in sky.catalog.get_common_gpus()
    with pytest.raises(ValueError, match='Cannot find module'):
        sky.catalog.list_accelerators(clouds='nosuchcloud')
