"""`Task.storage_mounts` of the corpus files against SkyPilot 0.14.1's
recorded `storage_mounts` ({path: {repr, yaml}})."""
import json
import pathlib
import re

import pytest

import sky

CORPUS = pathlib.Path(__file__).parent.parent / 'fixtures' / 'corpus'


def _cases():
    for path in sorted(CORPUS.glob('*.yaml')):
        expected = json.loads(
            (CORPUS / 'expected' / f'{path.stem}.json').read_text())
        if expected.get('ok') and not expected.get('offline_artifact'):
            yield pytest.param(path, expected['storage_mounts'], id=path.stem)


@pytest.mark.parametrize('path,want', list(_cases()))
def test_storage_mounts_match_skypilot(path, want, tmp_path, monkeypatch):
    monkeypatch.setenv('HOME', str(tmp_path))
    task = sky.Task.from_yaml(str(path))
    assert sorted(task.storage_mounts) == sorted(want)
    for mount_path, storage in task.storage_mounts.items():
        assert isinstance(storage, sky.Storage)
        assert storage.to_yaml_config() == want[mount_path]['yaml']
        assert re.sub(r'0x[0-9a-f]+', '0x?', repr(storage)) == want[mount_path]['repr']
