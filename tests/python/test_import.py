"""`import sky` stays cheap: names resolve on first use, from the modules
SkyPilot 0.14.1 defines them in."""
import json
import os
import subprocess
import sys

import pytest

import sky


def _run(code, env=None):
    out = subprocess.run([sys.executable, '-c', code], check=True,
                         capture_output=True, text=True,
                         env={**os.environ, **(env or {})})
    return json.loads(out.stdout)


def test_import_loads_no_submodule_or_heavy_stdlib():
    loaded = _run('import sys; before = set(sys.modules); import sky; '
                  'new = sorted(set(sys.modules) - before); '
                  'import json; print(json.dumps(new))')
    assert [m for m in loaded if m.startswith('sky')] == ['sky']
    for heavy in ('typing', 'enum', 'dataclasses', 'threading', 'urllib.request'):
        assert heavy not in loaded


@pytest.mark.parametrize('name', sky.__all__)
def test_every_exported_name_resolves(name):
    assert getattr(sky, name) is not None
    assert name in dir(sky)


def test_names_come_from_skypilots_modules():
    import sky.data
    import sky.jobs
    assert sky.Storage is sky.data.Storage
    assert sky.ManagedJobStatus is sky.jobs.ManagedJobStatus
    assert sky.K8s is sky.Kubernetes
    assert sky.Task.__module__ == 'sky.task'
    from sky import Resources, StoreType  # noqa: F401  (from-import works)


def test_unknown_attribute_message():
    with pytest.raises(AttributeError, match="module 'sky' has no attribute 'nope'"):
        sky.nope  # pylint: disable=pointless-statement


def test_submodules_resolve_without_import():
    assert sky.exceptions.StorageSpecError.__name__ == 'StorageSpecError'


@pytest.mark.parametrize('given,expected', [
    ({'http_proxy': 'h1'}, {'http_proxy': 'h1', 'HTTP_PROXY': 'h1'}),
    ({'HTTPS_PROXY': 'h2', 'https_proxy': 'low'},
     {'https_proxy': 'h2', 'HTTPS_PROXY': 'h2'}),
    ({'Http_Proxy': 'h3'}, {'http_proxy': 'h3', 'HTTP_PROXY': 'h3'}),
    ({'ALL_PROXY': 'h4'}, {'all_proxy': 'h4', 'ALL_PROXY': 'h4'}),
])
def test_proxy_variables_are_set_in_both_cases(given, expected):
    clean = {k: v for k, v in os.environ.items()
             if not k.lower().endswith('_proxy')}
    env = {**clean, **given}
    out = subprocess.run(
        [sys.executable, '-c', 'import json, os, sky; print(json.dumps('
         '{k: v for k, v in os.environ.items() if k.lower().endswith("_proxy")}))'],
        check=True, capture_output=True, text=True, env=env)
    got = json.loads(out.stdout)
    for k, v in expected.items():
        assert got[k] == v
