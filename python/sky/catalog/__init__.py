"""``sky.catalog``: SkyPilot's catalog queries, answered by stix's core from
the same catalog files (``~/.sky/catalogs/v8``)."""
from typing import Dict, List, Optional, Union

from sky import _sky
from sky.catalog.common import InstanceTypeInfo

CloudFilter = Optional[Union[List[str], str]]


def list_accelerators(
        gpus_only: bool = True,
        name_filter: Optional[str] = None,
        region_filter: Optional[str] = None,
        quantity_filter: Optional[int] = None,
        clouds: CloudFilter = None,
        case_sensitive: bool = True,
        all_regions: bool = False,
        require_price: bool = True) -> Dict[str, List[InstanceTypeInfo]]:
    """Lists the accelerators offered in the catalogs, by canonical name."""
    raw = _sky.list_accelerators(gpus_only, name_filter, region_filter,
                                 quantity_filter, clouds, case_sensitive,
                                 all_regions, require_price)
    return {
        name: [InstanceTypeInfo(*row) for row in rows]
        for name, rows in raw.items()
    }


def get_common_gpus() -> List[str]:
    """Commonly used GPU names (SkyPilot's list)."""
    return [
        'A10', 'A10G', 'A100', 'A100-80GB', 'B200', 'H100', 'H200', 'L4',
        'L40S', 'RTX5090', 'RTXPRO6000', 'T4', 'V100', 'V100-32GB'
    ]


def get_tpus() -> List[str]:
    """The smallest TPU configuration of each generation (SkyPilot's list)."""
    return [
        'tpu-v2-8', 'tpu-v3-8', 'tpu-v4-8', 'tpu-v4-16', 'tpu-v4-32',
        'tpu-v5litepod-1', 'tpu-v5litepod-4', 'tpu-v5litepod-8', 'tpu-v5p-8',
        'tpu-v5p-16', 'tpu-v5p-32', 'tpu-v6e-1', 'tpu-v6e-4', 'tpu-v6e-8'
    ]


__all__ = ['list_accelerators', 'get_common_gpus', 'get_tpus',
           'InstanceTypeInfo']
