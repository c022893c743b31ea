"""Enums shared across the API."""
import enum


class StatusRefreshMode(enum.Enum):
    """When ``sky status`` refreshes from the infra."""
    NONE = 'NONE'
    AUTO = 'AUTO'
    FORCE = 'FORCE'


class OptimizeTarget(enum.Enum):
    """What the optimizer minimizes."""
    COST = 0
    TIME = 1
