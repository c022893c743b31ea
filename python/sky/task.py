"""``sky.Task``: the Rust core plus the parts that hold Python objects (the
dag context, time estimators, plugin validators, ``>>`` edges)."""
import sys

from sky import _sky


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


_task_validators = []


def __getattr__(name):
    # ManagedSecretRef is a dataclass; build it on first use so importing
    # sky.task stays cheap.
    if name == 'ManagedSecretRef':
        import dataclasses  # pylint: disable=import-outside-toplevel

        @dataclasses.dataclass
        class ManagedSecretRef:
            """A reference to a managed secret in a task."""
            name: str
            mount_path: 'str | None' = None
            scope_override: 'str | None' = None

        ManagedSecretRef.__module__ = __name__
        ManagedSecretRef.__qualname__ = name
        globals()[name] = ManagedSecretRef
        return ManagedSecretRef
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def register_task_validator(fn) -> None:
    """Registers a plugin validator; ``Task.validate()`` calls each one
    with the task, last; it raises ``ValueError`` on a bad task."""
    _task_validators.append(fn)


class Task(_sky.Task):
    """A coarse-grained stage of work: setup, run, resources, file mounts."""

    def __init__(self, name=None, **kwargs) -> None:
        del name, kwargs  # Parsed by the Rust constructor.
        self.time_estimator_func = None
        self.storage_plans = {}
        # Set on jobs/serve controller tasks.
        self.managed_job_dag = None
        self.service_name = None
        # A dag context needs sky.dag loaded; skip importing it otherwise.
        dag_lib = sys.modules.get('sky.dag')
        dag = dag_lib.get_current_dag() if dag_lib is not None else None
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
    def from_yaml_config(config, env_overrides=None, secrets_overrides=None):
        task = Task()
        task._load_yaml_config(  # pylint: disable=protected-access
            config, env_overrides, secrets_overrides)
        return task

    def validate(self, skip_file_mounts: bool = False,
                 skip_workdir: bool = False) -> None:
        """Checks the name, run, workdir and file mounts (expanding paths),
        then each resource and the registered validators."""
        self._validate_spec(skip_file_mounts, skip_workdir)
        for r in self.resources:
            validate = getattr(r, 'validate', None)
            if validate is not None:
                validate()
        for validator_fn in _task_validators:
            validator_fn(self)

    @property
    def managed_secret_refs(self):
        ref = sys.modules[__name__].ManagedSecretRef
        return [ref(n, m, s) for n, m, s in self._managed_secret_refs()]

    @property
    def metadata_json(self) -> str:
        import json  # pylint: disable=import-outside-toplevel
        return json.dumps(self.metadata)

    def get_inputs(self):
        return self.inputs

    def get_outputs(self):
        return self.outputs

    def get_estimated_inputs_size_gigabytes(self):
        return self.estimated_inputs_size_gigabytes

    def get_estimated_outputs_size_gigabytes(self):
        return self.estimated_outputs_size_gigabytes

    def get_inputs_cloud(self):
        """EXPERIMENTAL: the cloud the inputs live in."""
        from sky import clouds  # pylint: disable=import-outside-toplevel
        assert isinstance(self.inputs, str), self.inputs
        for prefix, cloud in (('s3:', clouds.AWS), ('gs:', clouds.GCP),
                              ('cos:', clouds.IBM)):
            if self.inputs.startswith(prefix):
                return cloud()
        raise ValueError(f'cloud path not supported: {self.inputs}')

    def is_controller_task(self) -> bool:
        """Whether this task runs a jobs or serve controller."""
        return self.managed_job_dag is not None or self.service_name is not None

    def set_time_estimator(self, func) -> 'Task':
        self.time_estimator_func = func
        return self

    def estimate_runtime(self, resources):
        if self.time_estimator_func is None:
            raise NotImplementedError(
                f'Node [{self}] does not have a cost model set; '
                'call set_time_estimator() first')
        return self.time_estimator_func(resources)

    def __deepcopy__(self, memo):
        # Built without __init__, as copy.deepcopy does, so no dag adds it.
        import copy  # pylint: disable=import-outside-toplevel
        cls = type(self)
        new = cls.__new__(cls)
        memo[id(self)] = new
        new._copy_core_from(self)  # pylint: disable=protected-access
        for key, value in self.__dict__.items():
            setattr(new, key, copy.deepcopy(value, memo))
        return new

    def __rshift__(self, b):
        from sky import dag as dag_lib  # pylint: disable=import-outside-toplevel
        dag = dag_lib.get_current_dag()
        if dag is None:
            raise RuntimeError(
                'Cannot use >> operator outside of a DAG context. '
                'Please use "with sky.Dag() as dag:" to create a DAG context.')
        dag.add_edge(self, b)
