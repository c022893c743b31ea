"""``sky.Task``: the Rust core plus the Python-only parts (dag context,
time estimators, ``>>`` edges)."""
import copy
from typing import Any, Callable, Dict, List, Optional, Tuple

from sky import _sky
from sky import dag as dag_lib


class SecretStr:
    """A secret value that prints masked (pydantic's SecretStr interface)."""

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __str__(self) -> str:
        return '**********' if self._value else ''

    def __repr__(self) -> str:
        return f"SecretStr('{self}')"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, SecretStr) and
                other.get_secret_value() == self._value)

    def __hash__(self) -> int:
        return hash(self._value)


class Task(_sky.Task):
    """A coarse-grained stage of work: setup, run, resources, file mounts."""

    def __init__(self, name: Optional[str] = None, **kwargs: Any) -> None:
        del name, kwargs  # Parsed by the Rust constructor.
        self.time_estimator_func: Optional[Callable[[Any], int]] = None
        dag = dag_lib.get_current_dag()
        if dag is not None:
            dag.add(self)

    @staticmethod
    def from_yaml(yaml_path: str) -> 'Task':
        task = Task()
        task._load_yaml(yaml_path)  # pylint: disable=protected-access
        return task

    @staticmethod
    def from_yaml_str(yaml_str: str) -> 'Task':
        task = Task()
        task._load_yaml_str(yaml_str)  # pylint: disable=protected-access
        return task

    @staticmethod
    def from_yaml_config(
        config: Dict[str, Any],
        env_overrides: Optional[List[Tuple[str, str]]] = None,
        secrets_overrides: Optional[List[Tuple[str, str]]] = None,
    ) -> 'Task':
        task = Task()
        task._load_yaml_config(  # pylint: disable=protected-access
            config, env_overrides, secrets_overrides)
        return task

    def set_time_estimator(self, func: Callable[[Any], int]) -> 'Task':
        self.time_estimator_func = func
        return self

    def estimate_runtime(self, resources: Any) -> int:
        if self.time_estimator_func is None:
            raise NotImplementedError(
                f'Node [{self}] does not have a cost model set; '
                'call set_time_estimator() first')
        return self.time_estimator_func(resources)

    def __deepcopy__(self, memo: Dict[int, Any]) -> 'Task':
        # Built without __init__, as copy.deepcopy does, so no dag adds it.
        cls = type(self)
        new = cls.__new__(cls)
        memo[id(self)] = new
        new._copy_core_from(self)  # pylint: disable=protected-access
        for key, value in self.__dict__.items():
            setattr(new, key, copy.deepcopy(value, memo))
        return new

    def __rshift__(self, b: 'Task') -> None:
        dag = dag_lib.get_current_dag()
        if dag is None:
            raise RuntimeError(
                'Cannot use >> operator outside of a DAG context. '
                'Please use "with sky.Dag() as dag:" to create a DAG context.')
        dag.add_edge(self, b)
