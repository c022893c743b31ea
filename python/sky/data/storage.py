"""Storage specs (``sky.Storage``) and their enums and per-mount settings.

Buckets themselves (construct, add_store, delete, sync) come with the data
layer; until then a ``Storage`` is its spec: constructor checks, YAML in and
out, and the name/source checks (``_validate_storage_spec``).
"""
import enum

from sky import _sky
from sky._sky import Storage


class StoreType(enum.Enum):
    """Bucket backends."""
    S3 = 'S3'
    GCS = 'GCS'
    AZURE = 'AZURE'
    R2 = 'R2'
    IBM = 'IBM'
    OCI = 'OCI'
    NEBIUS = 'NEBIUS'
    COREWEAVE = 'COREWEAVE'
    VASTDATA = 'VASTDATA'
    HF = 'HF'
    VOLUME = 'VOLUME'

    @classmethod
    def find_s3_compatible_config_by_prefix(cls, source):
        value = _sky.store_by_prefix(source)
        return None if value is None else cls(value)

    @classmethod
    def from_cloud(cls, cloud):
        return cls(_sky.store_from_cloud(cloud))

    def to_cloud(self):
        return _sky.store_to_cloud(self.value)

    def store_prefix(self):
        return _sky.store_prefix(self.value)


class StorageMode(enum.Enum):
    """How a bucket appears on the nodes."""
    MOUNT = 'MOUNT'
    COPY = 'COPY'
    MOUNT_CACHED = 'MOUNT_CACHED'


MOUNTABLE_STORAGE_MODES = [
    StorageMode.MOUNT,
    StorageMode.MOUNT_CACHED,
]

DEFAULT_STORAGE_MODE = StorageMode.MOUNT


class FileMountType(enum.Enum):
    """Access-pattern presets (rclone settings) for MOUNT_CACHED."""
    MODEL_CHECKPOINT_RO = 'MODEL_CHECKPOINT_RO'
    MODEL_CHECKPOINT_RW = 'MODEL_CHECKPOINT_RW'
    DATASET_RO = 'DATASET_RO'
    DATASET_RW = 'DATASET_RW'


def _define_settings_classes():
    """Defines MountCachedConfig and MountConfig (dataclasses); done on first
    use because importing ``dataclasses`` costs more than the rest."""
    import dataclasses  # pylint: disable=import-outside-toplevel

    def to_yaml_config(self):
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if getattr(self, f.name) is not None
        }

    @classmethod
    def from_yaml_config(cls, config):
        return cls(**config)

    @dataclasses.dataclass
    class MountCachedConfig:
        """Per-bucket rclone settings for MOUNT_CACHED (None: default)."""
        transfers: 'int | None' = None
        buffer_size: 'str | None' = None
        vfs_cache_max_size: 'str | None' = None
        vfs_cache_max_age: 'str | None' = None
        vfs_read_ahead: 'str | None' = None
        vfs_read_chunk_size: 'str | None' = None
        vfs_read_chunk_streams: 'int | None' = None
        vfs_write_back: 'str | None' = None
        read_only: 'bool | None' = None

        def to_rclone_flags(self):
            return _sky.mount_cached_rclone_flags(self.to_yaml_config())

    @dataclasses.dataclass
    class MountConfig:
        """Per-bucket settings for MOUNT mode."""
        read_only: 'bool | None' = None
        hf_mount_args: 'list | None' = None

    for cls in (MountCachedConfig, MountConfig):
        cls.to_yaml_config = to_yaml_config
        cls.from_yaml_config = from_yaml_config
        cls.__qualname__ = cls.__name__
        cls.__module__ = __name__
        globals()[cls.__name__] = cls


def _settings_class(name):
    if name not in globals():
        _define_settings_classes()
    return globals()[name]


def __getattr__(name):
    if name in ('MountCachedConfig', 'MountConfig'):
        return _settings_class(name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


def merge_mount_cached_config(file_mount_type, overrides=None):
    """The type's preset settings with ``overrides``' non-None fields."""
    settings = _sky.merge_mount_cached_config(file_mount_type.value, overrides)
    return _settings_class('MountCachedConfig')(**settings)


__all__ = [
    'DEFAULT_STORAGE_MODE', 'FileMountType', 'MOUNTABLE_STORAGE_MODES',
    'MountCachedConfig', 'MountConfig', 'Storage', 'StorageMode', 'StoreType',
    'merge_mount_cached_config'
]
