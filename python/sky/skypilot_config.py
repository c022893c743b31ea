"""``sky.skypilot_config``: SkyPilot's layered config.

The user config (``~/.sky/config.yaml`` or ``$SKYPILOT_GLOBAL_CONFIG``) and
the project config (``.sky.yaml`` or ``$SKYPILOT_PROJECT_CONFIG``), merged
with project settings on top; ``$SKYPILOT_CONFIG`` replaces both. The Rust
core reads the files on first use (not at ``import sky``), validates and
merges them; see docs/config.md.
"""
from typing import Any, Dict, List, Optional, Tuple

from sky import _sky
from sky import exceptions
from sky.utils import config_utils

ENV_VAR_SKYPILOT_CONFIG = 'SKYPILOT_CONFIG'
ENV_VAR_GLOBAL_CONFIG = 'SKYPILOT_GLOBAL_CONFIG'
ENV_VAR_PROJECT_CONFIG = 'SKYPILOT_PROJECT_CONFIG'
_GLOBAL_CONFIG_PATH = '~/.sky/config.yaml'
_PROJECT_CONFIG_PATH = '.sky.yaml'


def get_user_config_path() -> str:
    """Returns the path to the user config file."""
    return _GLOBAL_CONFIG_PATH


def get_user_config() -> config_utils.Config:
    """Returns the user config."""
    return config_utils.Config(_sky.config_get_user_config())


def get_nested(keys: Tuple[str, ...],
               default_value: Any,
               override_configs: Optional[Dict[str, Any]] = None) -> Any:
    """Gets a nested key; `default_value` if any key is not found.

    `override_configs` (a task's `config:`) may only change the keys a task
    may override.
    """
    found, value = _sky.config_get_nested(keys, override_configs)
    if not found:
        return default_value
    if not keys and isinstance(value, dict):
        return config_utils.Config(value)
    return value


def get_effective_region_config(
        cloud: str,
        keys: Tuple[str, ...],
        region: Optional[str] = None,
        default_value: Optional[Any] = None,
        override_configs: Optional[Dict[str, Any]] = None) -> Any:
    """`<cloud>.<region_key>.<region>.<keys>`, else `<cloud>.<keys>`."""
    return _sky.config_effective_region(cloud, keys, region, default_value,
                                        override_configs)


def get_active_workspace(force_user_workspace: bool = False) -> str:
    """The active workspace (`active_workspace`, else 'default')."""
    del force_user_workspace  # No thread-local workspace in a client.
    return _sky.config_active_workspace()


def set_nested(keys: Tuple[str, ...], value: Any) -> Dict[str, Any]:
    """Returns a deep-copied config with the nested key set to value."""
    copied = to_dict()
    copied.set_nested(keys, value)
    return dict(**copied)


def to_dict() -> config_utils.Config:
    """Returns a deep-copied version of the current config."""
    return config_utils.Config(_sky.config_to_dict())


def overlay_skypilot_config(
        original_config: Optional[config_utils.Config],
        override_configs: Optional[config_utils.Config]) -> config_utils.Config:
    """Overlays the override configs on the original configs."""
    return config_utils.Config(
        _sky.config_overlay(original_config, override_configs))


def reload_config() -> None:
    """Reads the config files again."""
    _sky.config_reload()


def safe_reload_config() -> None:
    """Reloads the config (a failed reload keeps the config in effect)."""
    _sky.config_reload()


def loaded_config_path() -> Optional[str]:
    """Returns the path to the loaded config file, or '<overridden>' if the
    config is overridden."""
    return _sky.config_loaded_config_path()


def loaded() -> bool:
    """Returns if the user configurations are loaded."""
    return bool(_sky.config_to_dict())


def apply_cli_config(cli_config: Optional[List[str]]) -> Dict[str, Any]:
    """Applies `--config` values (a file, or key=value pairs) on top."""
    return config_utils.Config(_sky.config_apply_cli(cli_config))


def effective_config(
        task_overrides: Optional[Dict[str, Any]] = None) -> config_utils.Config:
    """The config a task with `config:` overrides `task_overrides` runs with
    (stix only)."""
    return config_utils.Config(_sky.config_effective(task_overrides))


class override_skypilot_config:  # pylint: disable=invalid-name
    """Overrides the user configurations (a context manager).

    A class rather than a `contextlib` generator so `import sky` does not
    pay for importing `contextlib`.
    """

    def __init__(self,
                 override_configs: Optional[Dict[str, Any]],
                 override_config_path_serialized: Optional[str] = None) -> None:
        self._override = override_configs
        self._path = override_config_path_serialized
        self._original: Optional[config_utils.Config] = None
        self._token: Optional[int] = None

    def __enter__(self) -> None:
        if not self._override:
            return
        self._original = to_dict()
        self._token = _sky.config_override_begin(self._override, self._path)

    def __exit__(self, exc_type, exc, tb) -> None:
        token, self._token = self._token, None
        if token is not None:
            _sky.config_override_end(token)
        if (self._override and
                isinstance(exc, exceptions.InvalidSkyPilotConfigError)):
            # SkyPilot words an invalid config inside the block as a failed
            # override too.
            raise exceptions.InvalidSkyPilotConfigError(
                _sky.config_override_failure(self._original, self._override,
                                             str(exc))) from exc
