"""Resource enums (``DiskTier``, ``NetworkTier``)."""
import enum


class DiskTier(enum.Enum):
    """OS disk performance tier."""
    LOW = 'low'
    MEDIUM = 'medium'
    HIGH = 'high'
    ULTRA = 'ultra'
    BEST = 'best'


class NetworkTier(enum.Enum):
    """Network performance tier."""
    STANDARD = 'standard'
    BEST = 'best'
