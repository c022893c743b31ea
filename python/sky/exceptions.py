"""Exceptions with SkyPilot's names, so ``except`` clauses keep working."""
import enum


class InvalidSkyPilotConfigError(ValueError):
    """A task YAML or config file does not match the schema."""


class StorageSpecError(ValueError):
    """A storage mount is specified wrongly."""


class StorageSourceError(StorageSpecError):
    """A storage source is invalid."""


class StorageNameError(StorageSpecError):
    """A storage name is invalid."""


class StorageModeError(StorageSpecError):
    """A storage mode is invalid."""


class NotSupportedError(Exception):
    """The request is not supported."""


class ResourcesUnavailableError(Exception):
    """No resources could satisfy the request."""

    def __init__(self, message: str = '', no_failover: bool = False,
                 failover_history=None) -> None:
        super().__init__(message)
        self.no_failover = no_failover
        self.failover_history = list(failover_history or [])


class ResourcesMismatchError(Exception):
    """Requested resources do not match an existing cluster."""


class ClusterDoesNotExist(ValueError):
    """The named cluster does not exist."""


class ClusterNotUpError(Exception):
    """The cluster is not UP."""


class InvalidClusterNameError(Exception):
    """The cluster name is invalid."""


class NoCloudAccessError(Exception):
    """No cloud is enabled."""


class CommandError(Exception):
    """A command run on a cluster failed."""


class RequestCancelled(Exception):
    """The request was cancelled."""


class ClientError(Exception):
    """The API server rejected a client request."""


class JobExitCode(enum.IntEnum):
    """Exit codes of ``sky logs`` and friends."""
    SUCCEEDED = 0
    FAILED = 100
    NOT_FINISHED = 101
    NOT_FOUND = 102
    CANCELLED = 103
