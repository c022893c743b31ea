"""Catalog downloads: on in the wheel, off (and failing at once, saying
why) under ``STIX_CATALOG_OFFLINE``, which every test sets."""
import os
import pathlib
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).parent.parent.parent


def test_the_wheel_downloads_catalogs():
    text = (ROOT / 'pyproject.toml').read_text()
    line = next(l for l in text.splitlines() if l.startswith('features = '))
    assert '"fetch"' in line


def test_offline_a_missing_catalog_fails_at_once(tmp_path):
    assert os.environ['STIX_CATALOG_OFFLINE'] == '1'
    env = dict(os.environ, HOME=str(tmp_path), STIX_ASSUME_ENABLED='aws')
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, '-c', 'import sys; from sky.cli import main; '
         'sys.exit(main())', 'launch', '--dryrun', '--gpus', 'A100:8',
         'echo', 'hi'],
        capture_output=True, text=True, env=env, check=False)
    assert time.monotonic() - start < 10
    assert proc.returncode == 1
    assert proc.stderr == (
        'OSError: Cannot download https://raw.githubusercontent.com/'
        'skypilot-org/skypilot-catalog/master/catalogs/v8/aws/vms.csv: '
        'catalog downloads are turned off (STIX_CATALOG_OFFLINE is set).\n')
