"""``InfraInfo``: a resource's cloud/region/zone."""
import dataclasses
from typing import Optional


@dataclasses.dataclass
class InfraInfo:
    """Cloud, region and zone; ``None`` means any."""
    cloud: Optional[str] = None
    region: Optional[str] = None
    zone: Optional[str] = None

    def to_str(self) -> Optional[str]:
        parts = [(self.cloud or '*').lower(), self.region or '*', self.zone or '*']
        if parts[1].startswith('ssh-'):
            parts[1] = parts[1][4:]
        while parts and parts[-1] == '*':
            parts.pop()
        return '/'.join(parts) if parts else None
