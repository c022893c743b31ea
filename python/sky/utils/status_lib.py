"""Cluster, storage and volume statuses (``sky.ClusterStatus``)."""
import enum

from sky import _sky


class ClusterStatus(enum.Enum):
    """A cluster's status as recorded locally (``sky status``)."""
    INIT = 'INIT'
    UP = 'UP'
    STOPPED = 'STOPPED'
    AUTOSTOPPING = 'AUTOSTOPPING'
    PENDING = 'PENDING'

    def colored_str(self):
        return _sky.status_colored_str('ClusterStatus', self.value)


# `init_kind` values that sub-classify ClusterStatus.INIT for display.
INIT_KIND_LAUNCHING = 'launching'
INIT_KIND_UNHEALTHY = 'unhealthy'


class StorageStatus(enum.Enum):
    """A storage object's status as recorded locally."""
    INIT = 'INIT'
    INIT_FAILED = 'INIT_FAILED'
    UPLOAD_FAILED = 'UPLOAD_FAILED'
    READY = 'READY'


class VolumeStatus(enum.Enum):
    """A volume's status as recorded locally."""
    READY = 'READY'
    IN_USE = 'IN_USE'
    NOT_READY = 'NOT_READY'
