"""Managed job statuses."""
import enum
from typing import List


class ManagedJobStatus(enum.Enum):
    """A managed job's status."""
    PENDING = 'PENDING'
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

    @classmethod
    def terminal_statuses(cls) -> List['ManagedJobStatus']:
        return [cls.SUCCEEDED, cls.FAILED, cls.FAILED_SETUP,
                cls.FAILED_PRECHECKS, cls.FAILED_NO_RESOURCE,
                cls.FAILED_CONTROLLER, cls.CANCELLED]

    @classmethod
    def failure_statuses(cls) -> List['ManagedJobStatus']:
        return [cls.FAILED, cls.FAILED_SETUP, cls.FAILED_PRECHECKS,
                cls.FAILED_NO_RESOURCE, cls.FAILED_CONTROLLER]

    @classmethod
    def processing_statuses(cls) -> List['ManagedJobStatus']:
        return [cls.PENDING, cls.STARTING, cls.RUNNING, cls.WINDING_DOWN,
                cls.RECOVERING]

    def is_terminal(self) -> bool:
        return self in self.terminal_statuses()

    def is_failed(self) -> bool:
        return self in self.failure_statuses()

    def colored_str(self) -> str:
        return self.value
