"""Statuses of a cluster's job queue (``sky.JobStatus``)."""
import enum

from sky import _sky


def _members(cls, group):
    return [cls[name] for name in _sky.status_group(cls.__name__, group)]


class JobStatus(enum.Enum):
    """A cluster job's status; declaration order is the lifecycle order."""
    INIT = 'INIT'
    PENDING = 'PENDING'
    SETTING_UP = 'SETTING_UP'
    RUNNING = 'RUNNING'
    FAILED_DRIVER = 'FAILED_DRIVER'
    SUCCEEDED = 'SUCCEEDED'
    FAILED = 'FAILED'
    FAILED_SETUP = 'FAILED_SETUP'
    CANCELLED = 'CANCELLED'

    @classmethod
    def nonterminal_statuses(cls):
        return _members(cls, 'nonterminal_statuses')

    def is_terminal(self):
        return self not in self.nonterminal_statuses()

    @classmethod
    def user_code_failure_states(cls):
        return tuple(_members(cls, 'user_code_failure_states'))

    def __lt__(self, other):
        return list(JobStatus).index(self) < list(JobStatus).index(other)

    def colored_str(self):
        return _sky.status_colored_str('JobStatus', self.value)
