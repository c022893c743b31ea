"""``sky.Dag``: tasks and their dependencies (a context manager)."""
import enum
import threading
from typing import Any, List, Optional


class DagExecution(enum.Enum):
    """How a multi-task dag runs."""
    SERIAL = 'serial'
    PARALLEL = 'parallel'


class Dag:
    """A directed acyclic graph of tasks."""

    def __init__(self) -> None:
        self.tasks: List[Any] = []
        self.edges: List[tuple] = []
        self.name: Optional[str] = None
        self.policy_applied = False
        self.pool: Optional[str] = None
        self.execution: Optional[DagExecution] = None
        self.primary_tasks: Optional[List[str]] = None
        self.termination_delay: Any = None
        self.inter_connection: Optional[bool] = None

    def add(self, task: Any) -> None:
        if not any(t is task for t in self.tasks):
            self.tasks.append(task)

    def remove(self, task: Any) -> None:
        self.tasks = [t for t in self.tasks if t is not task]
        self.edges = [(a, b) for a, b in self.edges
                      if a is not task and b is not task]

    def add_edge(self, op1: Any, op2: Any) -> None:
        assert op1 in self.tasks and op2 in self.tasks, (
            'Both tasks must be in the dag')
        self.edges.append((op1, op2))

    def __len__(self) -> int:
        return len(self.tasks)

    def __enter__(self) -> 'Dag':
        push_dag(self)
        return self

    def __exit__(self, exc_type, exc_value, traceback) -> None:
        pop_dag()

    def __repr__(self) -> str:
        pformat = '\n'.join(f'  {t!r}' for t in self.tasks)
        return f'DAG:\n{pformat}'

    def get_graph(self) -> 'Dag':
        return self

    def is_job_group(self) -> bool:
        return self.execution == DagExecution.PARALLEL

    def set_execution(self, execution: DagExecution) -> None:
        self.execution = execution

    def inter_connection_enabled(self) -> bool:
        return self.inter_connection is None or self.inter_connection

    def is_chain(self) -> bool:
        """True when tasks form a single path (an empty dag is a chain)."""
        if not self.tasks:
            return True
        out_deg = {id(t): 0 for t in self.tasks}
        in_deg = {id(t): 0 for t in self.tasks}
        for a, b in self.edges:
            out_deg[id(a)] += 1
            in_deg[id(b)] += 1
        if any(d > 1 for d in out_deg.values()) or any(
                d > 1 for d in in_deg.values()):
            return False
        sources = sum(1 for d in in_deg.values() if d == 0)
        sinks = sum(1 for d in out_deg.values() if d == 0)
        return sources == 1 and sinks == 1


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
