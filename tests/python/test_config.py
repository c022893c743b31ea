"""stix's config layering against SkyPilot 0.14.1.

tests/fixtures/config/cases.json holds the cases (files, env vars, steps);
expected.json what SkyPilot returned for each step (see the README there).
Each case runs here as it was recorded: tests/python/config_runner.py in a
fresh process with a fresh HOME and working directory.
"""
import json
import os
import pathlib
import re
import subprocess
import sys

import pytest

HERE = pathlib.Path(__file__).parent
FIXTURES = HERE.parent / 'fixtures' / 'config'
CASES = json.loads((FIXTURES / 'cases.json').read_text())
EXPECTED = json.loads((FIXTURES / 'expected.json').read_text())
RUNNER = HERE / 'config_runner.py'


def run_case(case, root):
    dirs = {n: root / n.lower() for n in ('HOME', 'CWD', 'OTHER')}
    for d in dirs.values():
        d.mkdir()
    for rel, text in case['files'].items():
        head, _, rest = rel.partition('/')
        path = dirs[head] / rest
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith('SKYPILOT_') and k != 'IS_SKYPILOT_SERVER'}
    env.update(HOME=str(dirs['HOME']), SKYPILOT_DISABLE_USAGE_COLLECTION='1')
    for k, v in case['env'].items():
        for n, d in dirs.items():
            v = v.replace(f'<{n}>', str(d))
        env[k] = v
    p = subprocess.run([sys.executable, str(RUNNER), str(root)],
                       input=json.dumps(case), cwd=dirs['CWD'], env=env,
                       capture_output=True, text=True, timeout=120, check=False)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout.strip().splitlines()[-1])['steps']


_MULTI = re.compile(r'^<(merged|overridden) \((.*)\)>$')


def normalize_paths(v):
    """`loaded_config_path` lists several files in set order in SkyPilot."""
    if isinstance(v, str):
        m = _MULTI.match(v)
        if m:
            return (m.group(1), sorted(m.group(2).split(', ')))
    if isinstance(v, dict):
        return {k: normalize_paths(x) for k, x in v.items()}
    if isinstance(v, list):
        return [normalize_paths(x) for x in v]
    return v


def same_error(got, want):
    # PyYAML and OS errors have subclasses stix does not raise (it raises
    # their base class); the class must still be one SkyPilot's derives from.
    assert (want['type'] in got['mro'] or got['type'] in want['mro']), (got, want)
    assert got['message'] == want['message']


def compare(got_steps, want_steps, where):
    assert len(got_steps) == len(want_steps), (where, got_steps)
    for i, (got, want) in enumerate(zip(got_steps, want_steps)):
        here = f'{where}[{i}]'
        assert got['ok'] == want['ok'], (here, got, want)
        if not want['ok']:
            same_error(got['error'], want['error'])
            continue
        g, w = got['result'], want['result']
        if isinstance(w, dict) and 'inside' in w:
            compare(g['inside'], w['inside'], here + '.inside')
        elif isinstance(w, dict) and 'get' in w and 'overrides' in w:
            assert g['overrides'] == w['overrides'], here
            compare(g['get'], w['get'], here + '.get')
        else:
            assert normalize_paths(g) == normalize_paths(w), here


@pytest.mark.parametrize('case', CASES, ids=[c['id'] for c in CASES])
def test_matches_skypilot(case, tmp_path):
    got = run_case(case, tmp_path)
    compare(got, EXPECTED[case['id']], case['id'])


def test_import_does_not_read_config(tmp_path):
    """`import sky` stays cheap: an invalid config only fails on first use."""
    (tmp_path / '.sky').mkdir()
    (tmp_path / '.sky' / 'config.yaml').write_text('not_a_key: 1\n')
    env = dict(os.environ, HOME=str(tmp_path))
    code = ('import time; t = time.perf_counter(); import sky; '
            'print(time.perf_counter() - t); '
            'from sky import skypilot_config\n'
            'try:\n    skypilot_config.loaded()\n'
            'except Exception as e:\n    print(type(e).__name__)')
    p = subprocess.run([sys.executable, '-c', code], env=env, cwd=tmp_path,
                       capture_output=True, text=True, check=True)
    took, err = p.stdout.split()
    assert err == 'InvalidSkyPilotConfigError'
    assert float(took) < 1.0


def test_reload_config_is_exported():
    import sky  # pylint: disable=import-outside-toplevel
    from sky.utils import config_utils  # pylint: disable=import-outside-toplevel
    assert callable(sky.reload_config)
    assert 'reload_config' in sky.__all__
    assert sky.Config is config_utils.Config
