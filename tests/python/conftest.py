"""Shared by every Python test: the wheel can download catalogs (the
`fetch` feature), but tests never reach the network."""
import os

import pytest

os.environ['STIX_CATALOG_OFFLINE'] = '1'

import sky  # noqa: E402  (after the variable above)


@pytest.fixture
def local_sky_home(tmp_path, monkeypatch):
    """A fresh HOME for tests that run clusters on the local infra (a
    small fixed machine, a fast agent tick); clusters left are torn down."""
    monkeypatch.setenv('HOME', str(tmp_path))
    monkeypatch.setenv('STIX_LOCAL_CPUS', '4')
    monkeypatch.setenv('STIX_LOCAL_MEMORY_GB', '16')
    monkeypatch.setenv('STIX_LOCAL_ACCELERATORS', '')
    monkeypatch.setenv('STIX_AGENT_TICK_SECONDS', '0.5')
    yield tmp_path
    for r in sky.get(sky.status()):
        sky.get(sky.down(r['name'], purge=True))
