"""The status enums' Python members agree with the core's tables (which
hold the colours and groups), and the storage enums with the core's values."""
import pytest

import sky
from sky import _sky
from sky.data import storage


@pytest.mark.parametrize('cls', [sky.ClusterStatus, sky.JobStatus,
                                 sky.ManagedJobStatus])
def test_status_members_match_core(cls):
    assert [(m.name, m.value) for m in cls] == [
        tuple(p) for p in _sky.status_members(cls.__name__)]
    for m in cls:
        assert m.colored_str().endswith(f'{m.value}\x1b[0m')


def test_store_types_round_trip_through_core():
    for s in sky.StoreType:
        if s is sky.StoreType.VOLUME:
            with pytest.raises(ValueError, match='Unknown store type'):
                s.store_prefix()
            continue
        assert sky.StoreType.from_cloud(s.to_cloud()) is s
        prefix = s.store_prefix()
        found = sky.StoreType.find_s3_compatible_config_by_prefix(prefix + 'b')
        assert found in (s, None)


def test_mount_cached_presets_are_dataclasses():
    merged = storage.merge_mount_cached_config(
        sky.FileMountType.DATASET_RW, storage.MountCachedConfig(transfers=2))
    assert merged == storage.MountCachedConfig(transfers=2,
                                               vfs_read_chunk_size='8M',
                                               vfs_read_chunk_streams=0)
    assert merged.to_rclone_flags().startswith('--transfers 2 --checkers 4 ')


def test_settings_classes_are_defined_once():
    from sky.data.storage import MountCachedConfig
    merged = storage.merge_mount_cached_config(sky.FileMountType.DATASET_RO)
    assert type(merged) is MountCachedConfig is storage.MountCachedConfig
    assert repr(merged).startswith('MountCachedConfig(transfers=None')
