"""YAML writing as SkyPilot's ``yaml_utils`` does it (the Rust core emits
PyYAML's exact text)."""
from typing import Any, Dict, List, Union

from sky import _sky


def dump_yaml_str(config: Union[List[Dict[str, Any]], Dict[str, Any]]) -> str:
    """Dumps a YAML string; a list becomes one document per item."""
    return _sky.dump_yaml_str(config)


def dump_yaml(path: str,
              config: Union[List[Dict[str, Any]], Dict[str, Any]],
              blank: bool = False) -> None:
    """Dumps a YAML file (``blank``: an empty dict writes an empty file)."""
    contents = dump_yaml_str(config)
    if blank and isinstance(config, dict) and not config:
        contents = ''
    with open(path, 'w', encoding='utf-8') as f:
        f.write(contents)
