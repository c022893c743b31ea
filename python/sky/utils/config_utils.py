"""``sky.utils.config_utils``: ``Config``, a dict with nested-key access.

The merge rules (override keys, Kubernetes patch merges) run in the Rust
core; this class only hands the dict over and takes the result back.
"""
from typing import Any, Dict, List, Optional, Tuple

from sky import _sky


class Config(dict):
    """SkyPilot config that supports setting/getting values with nested keys."""

    def get_nested(
            self,
            keys: Tuple[str, ...],
            default_value: Any,
            override_configs: Optional[Dict[str, Any]] = None,
            allowed_override_keys: Optional[List[Tuple[str, ...]]] = None,
            disallowed_override_keys: Optional[List[Tuple[str, ...]]] = None
    ) -> Any:
        """Gets a nested key; `default_value` if any key is missing."""
        found, value = _sky.config_dict_get_nested(self, keys,
                                                   override_configs,
                                                   allowed_override_keys,
                                                   disallowed_override_keys)
        if not found:
            return default_value
        if isinstance(value, dict) and not keys:
            return Config(value)
        return value

    def set_nested(self, keys: Tuple[str, ...], value: Any) -> None:
        """In-place sets a nested key to value."""
        new = _sky.config_dict_set_nested(self, keys, value)
        self.clear()
        self.update(new)

    def pop_nested(self, keys: Tuple[str, ...], default_value: Any) -> Any:
        """Pops a nested key."""
        found, value, new = _sky.config_dict_pop_nested(self, keys)
        if not found:
            return default_value
        self.clear()
        self.update(new)
        return value

    @classmethod
    def from_dict(cls, config: Optional[Dict[str, Any]]) -> 'Config':
        if config is None:
            return cls()
        return cls(**config)
