"""The records SkyPilot's SDK returns (``sky.schemas.api.responses``).

SkyPilot's are pydantic models that also behave as dicts (``r['name']``,
``r.get('name')``, ``'name' in r``, ``keys()``); these are plain classes
with the same fields, defaults, order and dict behaviour, so stix needs
no pydantic. ``model_dump(mode='json')`` gives enums as their values.
"""
import enum
from typing import Any, Dict, Iterable, Optional, Tuple


class ResponseBaseModel:
    """A record that acts like a dict (SkyPilot's ``ResponseBaseModel``).

    Subclasses list their fields in ``_FIELDS`` as ``(name, default)``; a
    field without a default (``_REQUIRED``) must be given.
    """
    _FIELDS: Tuple[Tuple[str, Any], ...] = ()
    _REQUIRED: Tuple[str, ...] = ()

    def __init__(self, **data: Any) -> None:
        missing = [f for f in self._REQUIRED if f not in data]
        if missing:
            raise ValueError(f'{type(self).__name__}: missing field(s) '
                             f'{", ".join(missing)}')
        for name, default in self._FIELDS:
            value = data.get(name, default)
            # Mutable defaults are copied, as pydantic does.
            if isinstance(value, (dict, list)) and name not in data:
                value = type(value)(value)
            setattr(self, name, value)

    @classmethod
    def model_validate(cls, data: Dict[str, Any]) -> 'ResponseBaseModel':
        """Builds the record from a dict (unknown keys are ignored)."""
        return cls(**data)

    def model_dump(self, mode: str = 'python',
                   exclude: Optional[Iterable[str]] = None) -> Dict[str, Any]:
        """The fields as a dict, in declaration order."""
        skip = set(exclude or ())
        out = {}
        for name, _ in self._FIELDS:
            if name in skip:
                continue
            value = getattr(self, name)
            if mode == 'json' and isinstance(value, enum.Enum):
                value = value.value
            out[name] = value
        return out

    def __getitem__(self, key: str) -> Any:
        try:
            return getattr(self, key)
        except AttributeError as e:
            raise KeyError(key) from e

    def __setitem__(self, key: str, value: Any) -> None:
        setattr(self, key, value)

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)

    def __contains__(self, key: str) -> bool:
        return hasattr(self, key)

    def keys(self):
        return self.model_dump().keys()

    def values(self):
        return self.model_dump().values()

    def items(self):
        return self.model_dump().items()

    def __eq__(self, other: Any) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return self.__dict__.__repr__()


def _fields(spec: str) -> Tuple[Tuple[str, Any], ...]:
    return tuple((name, None) for name in spec.split())


class StatusResponse(ResponseBaseModel):
    """A cluster record of ``sky.status()`` (after ``sky.get``)."""
    _FIELDS = (
        _fields('name launched_at handle last_use status autostop to_down '
                'owner metadata cluster_hash cluster_ever_up '
                'status_updated_at user_hash user_name config_hash workspace '
                'last_creation_yaml last_creation_command is_managed '
                'last_event init_kind init_status_reason resources_str '
                'resources_str_full credentials nodes cloud region cpus '
                'memory accelerators labels cluster_name_on_cloud node_names '
                'priority priority_class links'))
    _REQUIRED = ('name', 'launched_at', 'status', 'autostop', 'to_down',
                 'cluster_hash', 'cluster_ever_up', 'user_hash', 'user_name',
                 'workspace', 'is_managed', 'nodes')


class ClusterJobRecord(ResponseBaseModel):
    """A job of ``sky.queue()`` (after ``sky.get``)."""
    _FIELDS = (
        _fields('job_id job_name username user_hash submitted_at start_at '
                'end_at resources status log_path') +
        (('metadata', {}), ('links', {})))
    _REQUIRED = ('job_id', 'job_name', 'username', 'user_hash',
                 'submitted_at', 'resources', 'status', 'log_path')
