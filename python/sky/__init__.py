"""stix: SkyPilot's Python API (``import sky``) backed by a Rust core."""
from sky import _sky
from sky import exceptions
from sky.dag import Dag, DagExecution
from sky.resources import Resources
from sky.task import Task
from sky.clouds import (AWS, Azure, Cudo, DO, Fluidstack, GCP, Hyperbolic,
                        IBM, Kubernetes, Lambda, Mithril, Nebius, OCI,
                        Paperspace, PrimeIntellect, RunPod, SCP, Seeweb,
                        Shadeform, Slurm, SSH, Vast, Verda, Vsphere, Yotta)
from sky.utils.common import OptimizeTarget, StatusRefreshMode
from sky.utils.status_lib import ClusterStatus
from sky.skylet.job_lib import JobStatus
from sky.jobs.state import ManagedJobStatus
from sky.data.storage import FileMountType, StorageMode, StoreType
from sky.skypilot_config import safe_reload_config as reload_config
from sky.utils.config_utils import Config

# The SkyPilot release whose interface this reproduces.
__version__ = '0.14.1'
__stix_version__ = _sky.__version__
__commit__ = 'unknown'
K8s = Kubernetes

__all__ = [
    '__version__', 'AWS', 'Azure', 'Cudo', 'GCP', 'IBM', 'Kubernetes', 'K8s',
    'SSH', 'Lambda', 'OCI', 'Paperspace', 'PrimeIntellect', 'RunPod', 'Vast',
    'SCP', 'Slurm', 'Vsphere', 'Fluidstack', 'Nebius', 'Hyperbolic', 'Mithril',
    'Shadeform', 'Seeweb', 'Yotta', 'OptimizeTarget', 'FileMountType',
    'StorageMode', 'StoreType', 'ClusterStatus', 'JobStatus',
    'ManagedJobStatus', 'StatusRefreshMode', 'Dag', 'DagExecution', 'Task',
    'Resources', 'exceptions', 'reload_config',
    'Config'
]
