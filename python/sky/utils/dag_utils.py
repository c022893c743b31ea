"""Loading and dumping dags (pipelines and job groups) from/to YAML.

The YAML rules live in the Rust core (``src/spec/dag.rs``,
``src/spec/job_group.rs``); this module builds the Python ``sky.Dag``.
"""
import copy
import getpass
import re
import uuid
from typing import Any, Dict, List, Optional, Tuple

from sky import _sky
from sky import dag as dag_lib
from sky import sky_logging
from sky import task as task_lib
from sky.utils import yaml_utils

logger = sky_logging.init_logger(__name__)

_Pairs = Optional[List[Tuple[str, str]]]

# Message raised when sky.{exec,launch,jobs.launch}() get a string.
_ENTRYPOINT_STRING_AS_DAG_MESSAGE = """\
Expected a sky.Task or sky.Dag but received a string.

If you meant to run a command, make it a Task's run command:

    task = sky.Task(run=command)

The command can then be run as:

  sky.exec(task, cluster_name=..., ...)
  # Or use {'V100': 1}, 'V100:0.5', etc.
  task.set_resources(sky.Resources(accelerators='V100:1'))
  sky.exec(task, cluster_name=..., ...)

  sky.launch(task, ...)

  sky.jobs.launch(task, ...)
""".strip()


def convert_entrypoint_to_dag(entrypoint: Any) -> dag_lib.Dag:
    """A copy of ``entrypoint`` as a dag (a task becomes a one-task dag)."""
    if isinstance(entrypoint, str):
        raise TypeError(_ENTRYPOINT_STRING_AS_DAG_MESSAGE)
    if isinstance(entrypoint, dag_lib.Dag):
        return copy.deepcopy(entrypoint)
    if isinstance(entrypoint, task_lib.Task):
        entrypoint = copy.deepcopy(entrypoint)
        with dag_lib.Dag() as dag:
            dag.add(entrypoint)
            dag.name = entrypoint.name
        return dag
    raise TypeError('Expected a sky.Task or sky.Dag but received argument of '
                    f'type: {type(entrypoint)}')


def _build_dag(source: str, from_file: bool, job_group: bool,
               env_overrides: _Pairs, secrets_overrides: _Pairs) -> dag_lib.Dag:
    """Runs the core loader with a fresh dag as the current one, so the tasks
    it creates join that dag (and not one the caller has open)."""
    with dag_lib.Dag() as dag:
        spec = _sky.load_dag_yaml(source, from_file, job_group, env_overrides,
                                  secrets_overrides)
    for src, dst in spec['edges']:
        dag.add_edge(dag.tasks[src], dag.tasks[dst])
    dag.name = spec['name']
    dag.execution = dag_lib.DagExecution(spec['execution'])
    dag.primary_tasks = spec['primary_tasks']
    dag.termination_delay = spec['termination_delay']
    dag.inter_connection = spec['inter_connection']
    return dag


def load_chain_dag_from_yaml(
    path: str,
    env_overrides: _Pairs = None,
    secret_overrides: _Pairs = None,
) -> dag_lib.Dag:
    """Loads a chain dag (pipeline) from a YAML file.

    An optional first document with only ``name`` (and ``execution:
    serial``) names the dag; every other document is a task, run in order.
    ``env_overrides`` / ``secret_overrides`` apply to every task.
    """
    return _build_dag(path, True, False, env_overrides, secret_overrides)


def load_chain_dag_from_yaml_str(
    yaml_str: str,
    env_overrides: _Pairs = None,
    secrets_overrides: _Pairs = None,
) -> dag_lib.Dag:
    """Loads a chain dag from a YAML string (see the file variant)."""
    return _build_dag(yaml_str, False, False, env_overrides,
                      secrets_overrides)


def load_job_group_from_yaml(
    path: str,
    env_overrides: _Pairs = None,
    secrets_overrides: _Pairs = None,
) -> dag_lib.Dag:
    """Loads a job group: a header (``name``, ``execution: parallel``,
    ``primary_tasks``, ``termination_delay``, ``inter_connection``) and one
    named job per document."""
    return _build_dag(path, True, True, env_overrides, secrets_overrides)


def load_job_group_from_yaml_str(
    yaml_str: str,
    env_overrides: _Pairs = None,
    secrets_overrides: _Pairs = None,
) -> dag_lib.Dag:
    """Loads a job group from a YAML string."""
    return _build_dag(yaml_str, False, True, env_overrides,
                      secrets_overrides)


def is_job_group_yaml(path: str) -> bool:
    """Whether the file's first document says ``execution: parallel``."""
    return _sky.is_job_group_yaml(path, True)


def is_job_group_yaml_str(yaml_str: str) -> bool:
    """Whether the YAML string defines a job group."""
    return _sky.is_job_group_yaml(yaml_str, False)


def load_dag_from_yaml_str(
    yaml_str: str,
    env_overrides: _Pairs = None,
    secrets_overrides: _Pairs = None,
) -> dag_lib.Dag:
    """A job group or a chain dag, whichever the YAML string defines."""
    if is_job_group_yaml_str(yaml_str):
        return load_job_group_from_yaml_str(yaml_str, env_overrides,
                                            secrets_overrides)
    return load_chain_dag_from_yaml_str(yaml_str, env_overrides,
                                        secrets_overrides)


def load_dag_from_yaml(
    path: str,
    env_overrides: _Pairs = None,
    secrets_overrides: _Pairs = None,
) -> dag_lib.Dag:
    """A job group or a chain dag, whichever the YAML file defines."""
    if is_job_group_yaml(path):
        return load_job_group_from_yaml(path, env_overrides,
                                        secrets_overrides)
    return load_chain_dag_from_yaml(path, env_overrides, secrets_overrides)


def _task_configs(dag: dag_lib.Dag,
                  use_user_specified_yaml: bool) -> List[Dict[str, Any]]:
    return [
        task.to_yaml_config(use_user_specified_yaml=use_user_specified_yaml)
        for task in dag.tasks
    ]


def dump_chain_dag_to_yaml_str(dag: dag_lib.Dag,
                               use_user_specified_yaml: bool = False) -> str:
    """A chain dag as multi-document YAML: ``name``, then each task."""
    assert dag.is_chain(), dag
    configs = [{'name': dag.name}] + _task_configs(dag,
                                                   use_user_specified_yaml)
    return yaml_utils.dump_yaml_str(configs)


def dump_chain_dag_to_yaml(dag: dag_lib.Dag, path: str) -> None:
    """Writes ``dump_chain_dag_to_yaml_str(dag)`` to ``path``."""
    dag_str = dump_chain_dag_to_yaml_str(dag)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(dag_str)


def dump_job_group_to_yaml_str(dag: dag_lib.Dag,
                               use_user_specified_yaml: bool = False) -> str:
    """A job group as multi-document YAML: the header, then each job."""
    assert dag.is_job_group(), 'DAG is not a JobGroup'
    header: Dict[str, Any] = {'name': dag.name}
    if dag.execution is not None:
        header['execution'] = dag.execution.value
    if dag.primary_tasks is not None:
        header['primary_tasks'] = dag.primary_tasks
    if dag.termination_delay is not None:
        header['termination_delay'] = dag.termination_delay
    if dag.inter_connection is not None:
        header['inter_connection'] = dag.inter_connection
    configs = [header] + _task_configs(dag, use_user_specified_yaml)
    return yaml_utils.dump_yaml_str(configs)


def dump_dag_to_yaml_str(dag: dag_lib.Dag,
                         use_user_specified_yaml: bool = False) -> str:
    """A job group or chain dag as YAML, whichever ``dag`` is."""
    if dag.is_job_group():
        return dump_job_group_to_yaml_str(dag, use_user_specified_yaml)
    return dump_chain_dag_to_yaml_str(dag, use_user_specified_yaml)


def dump_dag_to_yaml(dag: dag_lib.Dag,
                     path: str,
                     use_user_specified_yaml: bool = False) -> None:
    """Writes ``dump_dag_to_yaml_str(dag, ...)`` to ``path``."""
    dag_str = dump_dag_to_yaml_str(dag, use_user_specified_yaml)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(dag_str)


def _generate_cluster_name() -> str:
    try:
        # pylint: disable=import-outside-toplevel
        from sky.utils import cluster_utils  # type: ignore[attr-defined]
        return cluster_utils.generate_cluster_name()
    except (ImportError, AttributeError):
        # The local user, cleaned as common_utils.get_cleaned_username does.
        user = getpass.getuser().lower()
        user = re.sub(r'[^a-z0-9-_]', '', user)
        user = re.sub(r'^[0-9-]+', '', user)
        user = re.sub(r'-$', '', user)[:63]
        return f'sky-{uuid.uuid4().hex[:4]}-{user}'


def maybe_infer_and_fill_dag_and_task_names(dag: dag_lib.Dag) -> None:
    """Fills unset dag/task names (for display) from each other, or a
    generated cluster-style name."""
    first_task = dag.tasks[0]
    if len(dag.tasks) == 1:
        if dag.name is not None:
            first_task.name = dag.name
        elif first_task.name is not None:
            dag.name = first_task.name
    if dag.name is None:
        dag.name = _generate_cluster_name()
    if len(dag.tasks) == 1:
        if first_task.name is None:
            first_task.name = dag.name
    else:
        for task_id, task in enumerate(dag.tasks):
            if task.name is None:
                task.name = f'{dag.name}-{task_id}'


# The default managed-job recovery strategy (the registry's default).
_DEFAULT_RECOVERY_STRATEGY = 'EAGER_NEXT_REGION'


def fill_default_config_in_dag_for_job_launch(dag: dag_lib.Dag) -> None:
    """Gives every task's resources a ``job_recovery`` strategy."""
    for task_ in dag.tasks:
        new_resources_list = []
        for resources in list(task_.resources):
            original_job_recovery = resources.job_recovery
            job_recovery: Dict[str, Any] = {
                'strategy': _DEFAULT_RECOVERY_STRATEGY
            }
            if isinstance(original_job_recovery, str):
                job_recovery['strategy'] = original_job_recovery
            elif isinstance(original_job_recovery, dict):
                job_recovery.update(original_job_recovery)
                if job_recovery.get('strategy') is None:
                    job_recovery['strategy'] = _DEFAULT_RECOVERY_STRATEGY
            new_resources_list.append(
                resources.copy(job_recovery=job_recovery))
        job_recovery_strategy = new_resources_list[0].job_recovery
        for resource in new_resources_list:
            if resource.job_recovery != job_recovery_strategy:
                # SkyPilot's message, missing space included.
                raise ValueError('All resources in the task must have'
                                 'the same job recovery strategy.')
        task_.set_resources(type(task_.resources)(new_resources_list))
