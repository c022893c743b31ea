"""Managed job statuses (``sky.ManagedJobStatus``)."""
import enum

from sky import _sky
from sky.skylet.job_lib import _members


class ManagedJobStatus(enum.Enum):
    """A managed job's status; declaration order is the lifecycle order."""
    PENDING = 'PENDING'
    # Kept so old job tables still parse.
    DEPRECATED_SUBMITTED = 'SUBMITTED'
    STARTING = 'STARTING'
    RUNNING = 'RUNNING'
    WINDING_DOWN = 'WINDING_DOWN'
    RECOVERING = 'RECOVERING'
    CANCELLING = 'CANCELLING'
    SUCCEEDED = 'SUCCEEDED'
    CANCELLED = 'CANCELLED'
    FAILED = 'FAILED'
    FAILED_SETUP = 'FAILED_SETUP'
    FAILED_PRECHECKS = 'FAILED_PRECHECKS'
    FAILED_NO_RESOURCE = 'FAILED_NO_RESOURCE'
    FAILED_CONTROLLER = 'FAILED_CONTROLLER'

    def is_terminal(self):
        return self in self.terminal_statuses()

    def is_failed(self):
        return self in self.failure_statuses()

    def colored_str(self):
        return _sky.status_colored_str('ManagedJobStatus', self.value)

    def __lt__(self, other):
        status_list = list(ManagedJobStatus)
        return status_list.index(self) < status_list.index(other)

    @classmethod
    def terminal_statuses(cls):
        return _members(cls, 'terminal_statuses')

    @classmethod
    def failure_statuses(cls):
        return _members(cls, 'failure_statuses')

    @classmethod
    def processing_statuses(cls):
        return _members(cls, 'processing_statuses')
