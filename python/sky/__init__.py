"""stix: SkyPilot's Python API (``import sky``) backed by a Rust core.

Every public name resolves on first use (module ``__getattr__``), so
``import sky`` itself loads almost nothing; the names and the modules they
come from are SkyPilot 0.14.1's.
"""
import os as _os

# The SkyPilot release whose interface this reproduces.
__version__ = '0.14.1'
__commit__ = 'unknown'
__root_dir__ = _os.path.dirname(__file__)


def _set_http_proxy_env_vars() -> None:
    """Sets both cases of each proxy variable when either case is set (or
    urllib's environment lookup finds one), as SkyPilot does on import."""
    env = _os.environ
    found = {}
    for name, value in env.items():
        if value and name.lower().endswith('_proxy'):
            found[name.lower()[:-6]] = value
    if 'REQUEST_METHOD' in env:
        found.pop('http', None)
    for name, value in env.items():
        if name[-6:] == '_proxy':
            if value:
                found[name.lower()[:-6]] = value
            else:
                found.pop(name.lower()[:-6], None)
    for var, urllib_var in (('http_proxy', 'http'), ('https_proxy', 'https'),
                            ('all_proxy', None)):
        proxy = env.get(var.upper(), env.get(var))
        if proxy is None and urllib_var is not None:
            proxy = found.get(urllib_var)
        if proxy is not None:
            env[var] = proxy
            env[var.upper()] = proxy


_set_http_proxy_env_vars()

# name -> (module, attribute); one line each so additions merge cleanly.
_LAZY = {
    'AWS': ('sky.clouds', 'AWS'),
    'Azure': ('sky.clouds', 'Azure'),
    'Cudo': ('sky.clouds', 'Cudo'),
    'DO': ('sky.clouds', 'DO'),
    'Fluidstack': ('sky.clouds', 'Fluidstack'),
    'GCP': ('sky.clouds', 'GCP'),
    'Hyperbolic': ('sky.clouds', 'Hyperbolic'),
    'IBM': ('sky.clouds', 'IBM'),
    'K8s': ('sky.clouds', 'Kubernetes'),
    'Kubernetes': ('sky.clouds', 'Kubernetes'),
    'Lambda': ('sky.clouds', 'Lambda'),
    'Mithril': ('sky.clouds', 'Mithril'),
    'Nebius': ('sky.clouds', 'Nebius'),
    'OCI': ('sky.clouds', 'OCI'),
    'Paperspace': ('sky.clouds', 'Paperspace'),
    'PrimeIntellect': ('sky.clouds', 'PrimeIntellect'),
    'RunPod': ('sky.clouds', 'RunPod'),
    'SCP': ('sky.clouds', 'SCP'),
    'SSH': ('sky.clouds', 'SSH'),
    'Seeweb': ('sky.clouds', 'Seeweb'),
    'Shadeform': ('sky.clouds', 'Shadeform'),
    'Slurm': ('sky.clouds', 'Slurm'),
    'Vast': ('sky.clouds', 'Vast'),
    'Verda': ('sky.clouds', 'Verda'),
    'Vsphere': ('sky.clouds', 'Vsphere'),
    'Yotta': ('sky.clouds', 'Yotta'),
    'OptimizeTarget': ('sky.utils.common', 'OptimizeTarget'),
    'StatusRefreshMode': ('sky.utils.common', 'StatusRefreshMode'),
    'FileMountType': ('sky.data', 'FileMountType'),
    'Storage': ('sky.data', 'Storage'),
    'StorageMode': ('sky.data', 'StorageMode'),
    'StoreType': ('sky.data', 'StoreType'),
    'ClusterStatus': ('sky.utils.status_lib', 'ClusterStatus'),
    'JobStatus': ('sky.skylet.job_lib', 'JobStatus'),
    'ManagedJobStatus': ('sky.jobs', 'ManagedJobStatus'),
    'Dag': ('sky.dag', 'Dag'),
    'DagExecution': ('sky.dag', 'DagExecution'),
    'Task': ('sky.task', 'Task'),
    'Resources': ('sky.resources', 'Resources'),
    'reload_config': ('sky.skypilot_config', 'safe_reload_config'),
    'Config': ('sky.utils.config_utils', 'Config'),
    'list_accelerators': ('sky.catalog', 'list_accelerators'),
    'Optimizer': ('sky.optimizer', 'Optimizer'),
    'optimize': ('sky.optimizer', 'optimize'),
    'launch': ('sky.client.sdk', 'launch'),
    'exec': ('sky.client.sdk', 'exec'),
    'status': ('sky.client.sdk', 'status'),
    'start': ('sky.client.sdk', 'start'),
    'stop': ('sky.client.sdk', 'stop'),
    'down': ('sky.client.sdk', 'down'),
    'autostop': ('sky.client.sdk', 'autostop'),
    'queue': ('sky.client.sdk', 'queue'),
    'job_status': ('sky.client.sdk', 'job_status'),
    'cancel': ('sky.client.sdk', 'cancel'),
    'tail_logs': ('sky.client.sdk', 'tail_logs'),
    'download_logs': ('sky.client.sdk', 'download_logs'),
    'endpoints': ('sky.client.sdk', 'endpoints'),
    'cost_report': ('sky.client.sdk', 'cost_report'),
    'get': ('sky.client.sdk', 'get'),
    'stream_and_get': ('sky.client.sdk', 'stream_and_get'),
    'api_status': ('sky.client.sdk', 'api_status'),
    'api_cancel': ('sky.client.sdk', 'api_cancel'),
}

# Submodules `sky.<name>` reaches without an explicit import.
_SUBMODULES = ('catalog', 'check', 'clouds', 'dag', 'data', 'exceptions', 'jobs', 'optimizer',
               'resources', 'skylet', 'skypilot_config', 'task', 'utils')

__all__ = [
    '__version__', 'AWS', 'Azure', 'Cudo', 'GCP', 'IBM', 'Kubernetes', 'K8s',
    'SSH', 'Lambda', 'OCI', 'Paperspace', 'PrimeIntellect', 'RunPod', 'Vast',
    'SCP', 'Slurm', 'Vsphere', 'Fluidstack', 'Nebius', 'Hyperbolic', 'Mithril',
    'Shadeform', 'Seeweb', 'Yotta', 'OptimizeTarget', '__root_dir__',
    'FileMountType', 'Storage', 'StorageMode', 'StoreType', 'ClusterStatus',
    'JobStatus', 'ManagedJobStatus', 'StatusRefreshMode', 'Dag',
    'DagExecution', 'Task', 'Resources', 'reload_config', 'Config',
    'list_accelerators', 'Optimizer', 'optimize', 'launch', 'exec', 'status',
    'start', 'stop', 'down', 'autostop', 'queue', 'job_status', 'cancel',
    'tail_logs', 'download_logs', 'endpoints', 'cost_report', 'get',
    'stream_and_get', 'api_status', 'api_cancel'
]


def __getattr__(name):
    target = _LAZY.get(name)
    if target is not None:
        module = __import__(target[0], fromlist=[target[1]])
        value = getattr(module, target[1])
    elif name in _SUBMODULES:
        value = __import__(f'sky.{name}', fromlist=['_'])
    elif name == '__stix_version__':
        from sky import _sky  # pylint: disable=import-outside-toplevel
        value = _sky.__version__
    else:
        raise AttributeError(f"module 'sky' has no attribute '{name}'")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY) | set(_SUBMODULES))
