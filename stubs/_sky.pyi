# Type stubs for the native module `sky._sky` (kept in sync by
# tests/python/test_stubs.py).
from typing import Any, Dict, List, Optional, Tuple, Union

__version__: str

class Resources:
    def __init__(self, *args: Any, **kwargs: Any) -> None: ...
    @staticmethod
    def from_yaml_config(config: Optional[Dict[str, Any]] = ...) -> Union[set, list]: ...
    def to_yaml_config(self, redact_secrets: bool = ...) -> Dict[str, Any]: ...
    def copy(self, **overrides: Any) -> "Resources": ...
    def is_empty(self) -> bool: ...
    def is_launchable(self) -> bool: ...
    def get_spot_str(self) -> str: ...
    def get_accelerators_str(self) -> str: ...
    repr_with_region_zone: str
    cloud: Any
    infra: Any
    region: Optional[str]
    zone: Optional[str]
    instance_type: Optional[str]
    cpus: Optional[str]
    memory: Optional[str]
    accelerators: Optional[Dict[str, Union[int, float]]]
    accelerator_args: Optional[Dict[str, Any]]
    use_spot: bool
    use_spot_specified: bool
    job_recovery: Optional[Dict[str, Any]]
    disk_size: int
    disk_size_specified: bool
    image_id: Optional[Dict[Optional[str], str]]
    disk_tier: Any
    network_tier: Any
    local_disk: Optional[str]
    max_hourly_cost: Optional[float]
    ports: Optional[List[str]]
    labels: Optional[Dict[str, str]]
    volumes: Optional[List[Dict[str, Any]]]
    hooks: Optional[List[Dict[str, Any]]]
    autostop_config: Any
    priority: Optional[int]
    priority_class: Optional[str]
    requires_fuse: bool
    no_missing_accel_warnings: bool
    is_image_managed: Optional[bool]
    cluster_config_overrides: Dict[str, Any]

class Task:
    def __init__(self, name: Optional[str] = ..., **kwargs: Any) -> None: ...
    def _load_yaml_str(self, text: str) -> None: ...
    def _load_yaml(self, path: str) -> None: ...
    def _load_yaml_config(self, config: Dict[str, Any], env_overrides: Any = ..., secrets_overrides: Any = ...) -> None: ...
    def to_yaml_config(self, use_user_specified_yaml: bool = ...) -> Dict[str, Any]: ...
    def set_resources(self, resources: Any) -> "Task": ...
    def set_resources_override(self, override_params: Dict[str, Any]) -> "Task": ...
    def set_file_mounts(self, file_mounts: Optional[Dict[str, str]]) -> "Task": ...
    def update_file_mounts(self, file_mounts: Dict[str, str]) -> "Task": ...
    def update_envs(self, envs: Any) -> "Task": ...
    def update_secrets(self, secrets: Any) -> "Task": ...
    def validate_name(self) -> None: ...
    name: Optional[str]
    run: Optional[str]
    setup: Optional[str]
    workdir: Any
    num_nodes: int
    envs: Dict[str, str]
    secrets: Dict[str, Any]
    envs_and_secrets: Dict[str, str]
    file_mounts: Optional[Dict[str, str]]
    volumes: Dict[str, Any]
    metadata: Dict[str, Any]
    event_callback: Optional[str]
    api_server_access: bool
    resources: Union[set, list]
    use_spot: bool
    service: Optional[Dict[str, Any]]
    inputs: Optional[str]
    outputs: Optional[str]
    best_resources: Any

def load_yaml_all(text: str) -> List[Any]: ...
def cli_main(argv: List[str]) -> int: ...
def task_from_cli_args(argv: List[str], input: Optional[str] = ...) -> Any: ...
