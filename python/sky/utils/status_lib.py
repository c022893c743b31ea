"""Cluster statuses."""
import enum


class ClusterStatus(enum.Enum):
    """A cluster's status, as ``sky status`` shows it."""
    INIT = 'INIT'
    UP = 'UP'
    STOPPED = 'STOPPED'
    AUTOSTOPPING = 'AUTOSTOPPING'
    PENDING = 'PENDING'

    def colored_str(self) -> str:
        return self.value
