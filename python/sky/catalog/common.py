"""``sky.catalog.common``: the record type catalog listings return."""
from typing import NamedTuple, Optional


class InstanceTypeInfo(NamedTuple):
    """One offering of an accelerator (SkyPilot's field order)."""
    cloud: str
    instance_type: Optional[str]
    accelerator_name: str
    accelerator_count: float
    cpu_count: Optional[float]
    device_memory: Optional[float]
    memory: Optional[float]
    price: float
    spot_price: float
    region: str
