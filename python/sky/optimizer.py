"""``sky.Optimizer``: SkyPilot's optimizer, answered by stix's core.

The search, tables and errors are Rust (``src/optimizer``); this module
turns a ``sky.Dag`` into task indices and edges, passes each task's time
estimator, and owns the ``sky.optimizer`` logger the plan is printed to.
"""
import typing

from sky import _sky
from sky import sky_logging
from sky.utils import common

if typing.TYPE_CHECKING:
    from sky import dag as dag_lib

logger = sky_logging.init_logger(__name__)


class Optimizer:
    """Assigns the cheapest (or fastest) launchable resources to tasks."""

    @staticmethod
    def optimize(dag: 'dag_lib.Dag',
                 minimize: common.OptimizeTarget = common.OptimizeTarget.COST,
                 blocked_resources=None,
                 quiet: bool = False) -> 'dag_lib.Dag':
        """Sets ``best_resources`` on every task of ``dag`` and returns it.

        Raises ``sky.exceptions.ResourcesUnavailableError`` when no enabled
        cloud offers what a task asks for.
        """
        tasks = list(dag.tasks)
        index = {id(t): i for i, t in enumerate(tasks)}
        edges = [(index[id(u)], index[id(v)])
                 for u, v in dag.get_graph().edges()]
        estimators = [getattr(t, 'time_estimator_func', None) for t in tasks]
        _sky.optimize_dag(tasks, edges,
                          minimize == common.OptimizeTarget.TIME,
                          list(blocked_resources or []), quiet, estimators)
        return dag

    @staticmethod
    def optimize_job_group(
            dag: 'dag_lib.Dag',
            minimize: common.OptimizeTarget = common.OptimizeTarget.COST,
            blocked_resources=None,
            quiet: bool = False) -> 'dag_lib.Dag':
        """Places every job of a job group on one common infra (cloud and
        region) when one exists, as SkyPilot does; other dags are
        optimized as usual."""
        if not dag.is_job_group():
            return Optimizer.optimize(dag, minimize, blocked_resources, quiet)
        tasks = list(dag.tasks)
        estimators = [getattr(t, 'time_estimator_func', None) for t in tasks]
        inter_connection, pinned = _sky.optimize_job_group(
            tasks, str(dag.name), dag.inter_connection,
            minimize == common.OptimizeTarget.TIME,
            list(blocked_resources or []), quiet, estimators)
        dag.inter_connection = inter_connection
        if pinned is not None:
            # Keeps the placement through YAML to the jobs controller.
            for task in tasks:
                best = task.best_resources
                override = {}
                if best.cloud is not None:
                    override['cloud'] = best.cloud
                if best.region is not None:
                    override['region'] = best.region
                if override:
                    task.set_resources_override(override)
        return dag


def optimize(dag: 'dag_lib.Dag',
             minimize: common.OptimizeTarget = common.OptimizeTarget.COST,
             admin_policy_request_options=None) -> 'dag_lib.Dag':
    """``sky.optimize``: the optimized dag (SkyPilot returns a request id
    for its API server; stix plans in process)."""
    del admin_policy_request_options
    return Optimizer.optimize(dag, minimize=minimize)


def optimize_job_group(dag, minimize=common.OptimizeTarget.COST,
                       blocked_resources=None, quiet=False):
    return Optimizer.optimize_job_group(dag, minimize, blocked_resources,
                                        quiet)
