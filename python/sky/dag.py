"""``sky.Dag``: tasks and their dependencies (a context manager).

The graph is a small directed graph with the part of ``networkx.DiGraph``'s
interface SkyPilot code uses (``nodes``, ``edges``, ``in_degree``, ...), so
stix needs no networkx.
"""
import enum
import threading
from typing import Any, Dict, Iterator, List, Optional, Tuple, Union

from sky import _sky


class DagExecution(enum.Enum):
    """How a multi-task dag runs."""
    SERIAL = 'serial'  # Tasks run one after another (pipeline).
    PARALLEL = 'parallel'  # All tasks start together (job group).


# The execution mode of single jobs, and the fallback for pipelines.
DEFAULT_EXECUTION = DagExecution.SERIAL


class _View(list):
    """``graph.nodes`` / ``graph.edges``: a list that can also be called."""

    def __call__(self) -> '_View':
        return self


class _DegreeView:
    """``graph.in_degree`` / ``graph.out_degree``: call with a node for its
    degree, or iterate ``(node, degree)`` pairs."""

    def __init__(self, adj: Dict[Any, Dict[Any, None]]) -> None:
        self._adj = adj

    def __call__(self, node: Any = None) -> Any:
        return self if node is None else self[node]

    def __getitem__(self, node: Any) -> int:
        return len(self._adj[node])

    def __iter__(self) -> Iterator[Tuple[Any, int]]:
        return ((n, len(nbrs)) for n, nbrs in self._adj.items())

    def __len__(self) -> int:
        return len(self._adj)


class DiGraph:
    """A directed graph keyed by node identity, in insertion order."""

    def __init__(self) -> None:
        self._succ: Dict[Any, Dict[Any, None]] = {}
        self._pred: Dict[Any, Dict[Any, None]] = {}

    def add_node(self, node: Any) -> None:
        if node not in self._succ:
            self._succ[node] = {}
            self._pred[node] = {}

    def remove_node(self, node: Any) -> None:
        if node not in self._succ:
            raise KeyError(f'The node {node} is not in the digraph.')
        for succ in self._succ.pop(node):
            self._pred[succ].pop(node, None)
        for pred in self._pred.pop(node):
            self._succ[pred].pop(node, None)

    def add_edge(self, u: Any, v: Any) -> None:
        self.add_node(u)
        self.add_node(v)
        self._succ[u][v] = None
        self._pred[v][u] = None

    def has_edge(self, u: Any, v: Any) -> bool:
        return v in self._succ.get(u, {})

    @property
    def nodes(self) -> _View:
        return _View(self._succ)

    @property
    def edges(self) -> _View:
        return _View((u, v) for u, nbrs in self._succ.items() for v in nbrs)

    @property
    def in_degree(self) -> _DegreeView:
        return _DegreeView(self._pred)

    @property
    def out_degree(self) -> _DegreeView:
        return _DegreeView(self._succ)

    def predecessors(self, node: Any) -> Iterator[Any]:
        return iter(self._pred[node])

    def successors(self, node: Any) -> Iterator[Any]:
        return iter(self._succ[node])

    def number_of_nodes(self) -> int:
        return len(self._succ)

    def number_of_edges(self) -> int:
        return sum(len(nbrs) for nbrs in self._succ.values())

    def __contains__(self, node: Any) -> bool:
        return node in self._succ

    def __iter__(self) -> Iterator[Any]:
        return iter(self._succ)

    def __len__(self) -> int:
        return len(self._succ)


def topological_sort(graph: DiGraph) -> List[Any]:
    """Nodes so that every edge points forward, generation by generation
    (``networkx.topological_sort``'s order); ``ValueError`` on a cycle."""
    indegree = {n: d for n, d in graph.in_degree() if d > 0}
    generation = [n for n, d in graph.in_degree() if d == 0]
    order: List[Any] = []
    while generation:
        order.extend(generation)
        following = []
        for node in generation:
            for child in graph.successors(node):
                indegree[child] -= 1
                if indegree[child] == 0:
                    following.append(child)
                    del indegree[child]
        generation = following
    if indegree:
        raise ValueError(
            'Graph contains a cycle or graph changed during iteration')
    return order


class Dag:
    """Dag: a user application, represented as a DAG of Tasks.

    Examples:
        >>> import sky
        >>> with sky.Dag() as dag:
        >>>     task = sky.Task(...)
    """

    def __init__(self) -> None:
        self.tasks: List[Any] = []
        self.graph = DiGraph()
        self.name: Optional[str] = None
        self.policy_applied: bool = False
        self.pool: Optional[str] = None
        self.execution: Optional[DagExecution] = None
        # Job groups: the named tasks are primary, the rest auxiliary.
        self.primary_tasks: Optional[List[str]] = None
        # Job groups: '30s' for every auxiliary task, or per task name.
        self.termination_delay: Optional[Union[str, Dict[str, str]]] = None
        # Job groups: None means unset (treated as enabled).
        self.inter_connection: Optional[bool] = None

    def add(self, task: Any) -> None:
        self.graph.add_node(task)
        self.tasks.append(task)

    def remove(self, task: Any) -> None:
        self.tasks.remove(task)
        self.graph.remove_node(task)

    def add_edge(self, op1: Any, op2: Any) -> None:
        assert op1 in self.graph
        assert op2 in self.graph
        self.graph.add_edge(op1, op2)

    def __len__(self) -> int:
        return len(self.tasks)

    def __enter__(self) -> 'Dag':
        push_dag(self)
        return self

    def __exit__(self, exc_type, exc_value, traceback) -> None:
        pop_dag()

    def __repr__(self) -> str:
        import pprint  # pylint: disable=import-outside-toplevel
        return f'DAG:\n{pprint.pformat(self.tasks)}'

    def get_graph(self) -> DiGraph:
        return self.graph

    def is_job_group(self) -> bool:
        """A job group is a dag with parallel execution."""
        return self.execution == DagExecution.PARALLEL

    def set_execution(self, execution: DagExecution) -> None:
        self.execution = execution

    def inter_connection_enabled(self) -> bool:
        """In-group networking is required unless explicitly disabled."""
        return self.inter_connection is not False

    def get_termination_delay_secs(self, task_name: str) -> int:
        """Seconds an auxiliary task may outlive the primaries (0 if unset)."""
        if self.termination_delay is None:
            return 0
        if isinstance(self.termination_delay, str):
            delay = self.termination_delay
        else:
            delay = self.termination_delay.get(
                task_name, self.termination_delay.get('default', '0s'))
        return _sky.parse_time_seconds(delay)

    def is_primary_task(self, task_name: str) -> bool:
        """Every task is primary when ``primary_tasks`` is unset or empty."""
        if not self.primary_tasks:
            return True
        return task_name in self.primary_tasks

    def get_auxiliary_task_names(self) -> List[str]:
        if not self.primary_tasks:
            return []
        return [
            t.name
            for t in self.tasks
            if t.name is not None and t.name not in self.primary_tasks
        ]

    def is_chain(self) -> bool:
        """True when the tasks form one path (an empty dag is a chain)."""
        if len(self.graph) == 0:
            return True
        for view in (self.graph.in_degree(), self.graph.out_degree()):
            degrees = [d for _, d in view]
            if any(d > 1 for d in degrees) or degrees.count(0) != 1:
                return False
        return True

    def validate(self,
                 skip_file_mounts: bool = False,
                 skip_workdir: bool = False) -> None:
        for task in self.tasks:
            task.validate(skip_file_mounts=skip_file_mounts,
                          skip_workdir=skip_workdir)

    def resolve_and_validate_volumes(self) -> None:
        for task in self.tasks:
            task.resolve_and_validate_volumes()

    def pre_mount_volumes(self) -> None:
        vol_map = {}
        for task in self.tasks:
            for volume_mount in getattr(task, 'volume_mounts', None) or []:
                vol_map[volume_mount.volume_name] = volume_mount
        for volume_mount in vol_map.values():
            volume_mount.pre_mount()


_local = threading.local()


def _stack() -> List[Dag]:
    if not hasattr(_local, 'stack'):
        _local.stack = []
    return _local.stack


def push_dag(dag: Dag) -> None:
    _stack().append(dag)


def pop_dag() -> Optional[Dag]:
    stack = _stack()
    return stack.pop() if stack else None


def get_current_dag() -> Optional[Dag]:
    stack = _stack()
    return stack[-1] if stack else None
