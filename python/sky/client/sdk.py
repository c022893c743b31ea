"""SkyPilot's SDK (``sky.launch``, ``sky.status``, ...) over stix's core.

Each call returns a request id at once; the request is journaled in
``~/.sky/state.db`` (``sky api status`` lists it) and runs in a worker
process of its own (launch, exec, start, stop, down: they outlive the
caller, log to ``~/.sky/api_server/requests/<id>.log`` and ``api_cancel``
stops them) or on a background thread (the quick ones). ``get`` / ``stream_and_get`` wait for its result,
shaped as SkyPilot returns it, or raise its exception.
"""
import json
from typing import Any, Dict, List, Optional, Union

from sky import _sky

class ResourceHandle:
    """The cluster handle a launch / exec / start returns."""

    def __init__(self, data: Dict[str, Any]) -> None:
        self._data = data
        self.cluster_name = data.get('cluster_name')
        self.cluster_name_on_cloud = data.get('cluster_name_on_cloud')
        self.launched_nodes = data.get('launched_nodes')
        self.head_ip = (data.get('nodes') or [{}])[0].get('internal_ip')

    def get_cluster_name(self) -> str:
        return self.cluster_name

    def __repr__(self) -> str:
        return (f'ResourceHandle(cluster_name={self.cluster_name!r}, '
                f'launched_nodes={self.launched_nodes})')


def _submit(name: str, task: Any = None, **body: Any) -> str:
    from sky import dag as dag_lib
    if isinstance(task, dag_lib.Dag):
        task = task.tasks[0]
    return _sky.sdk_submit(name, json.dumps(body), task)


def _request_name(request_id: str) -> str:
    name = json.loads(_sky.sdk_api_status(request_ids=[request_id]))[0]['name']
    return name[len('sky.'):] if name.startswith('sky.') else name


def _shape(name: str, value: Any) -> Any:
    from sky.skylet import job_lib
    from sky.utils import status_lib
    if name in ('launch', 'exec'):
        handle = value['handle']
        return (value['job_id'],
                ResourceHandle(handle) if handle is not None else None)
    if name == 'start':
        return ResourceHandle(value)
    if name == 'status':
        from sky.schemas.api import responses
        records = []
        for r in value:
            r['status'] = status_lib.ClusterStatus(r['status'])
            if r.get('handle') is not None:
                r['handle'] = ResourceHandle(r['handle'])
            records.append(responses.StatusResponse.model_validate(r))
        return records
    if name == 'queue':
        from sky.schemas.api import responses
        jobs = []
        for r in value:
            r['status'] = job_lib.JobStatus(r['status'])
            jobs.append(responses.ClusterJobRecord.model_validate(r))
        return jobs
    if name == 'job_status':
        return {
            int(k): (job_lib.JobStatus(v) if v is not None else None)
            for k, v in value.items()
        } or {None: None}
    if name == 'cancel':
        return None
    if name == 'endpoints':
        return {int(k): v for k, v in value.items()}
    if name == 'cost_report':
        for r in value:
            if r.get('status') is not None:
                r['status'] = status_lib.ClusterStatus(r['status'])
        return value
    return value


def get(request_id: str) -> Any:
    """Waits for the request; returns its result or raises its error."""
    value = json.loads(_sky.sdk_get(request_id))
    return _shape(_request_name(request_id), value)


def stream_and_get(request_id: Optional[str] = None,
                   log_path: Optional[str] = None,
                   tail: Optional[int] = None,
                   follow: bool = True,
                   output_stream: Any = None,
                   relay_rich_status: bool = False) -> Any:
    """Streams the request's log (what its worker process prints), then
    returns its result as ``get`` does."""
    del log_path, output_stream, relay_rich_status
    if request_id is None:
        live = api_status()
        if not live:
            raise ValueError('No request to stream.')
        request_id = live[0]['request_id']
    _sky.sdk_stream_log(request_id, tail, follow)
    if not follow:
        return None
    return get(request_id)


def launch(task: Any,
           cluster_name: Optional[str] = None,
           retry_until_up: bool = False,
           idle_minutes_to_autostop: Optional[int] = None,
           wait_for: Any = None,
           dryrun: bool = False,
           down: bool = False,
           backend: Any = None,
           optimize_target: Any = None,
           no_setup: bool = False,
           clone_disk_from: Optional[str] = None,
           fast: bool = False,
           resize: bool = False,
           **_internal: Any) -> str:
    """Launches a cluster (or reuses it) and runs the task on it."""
    del backend, optimize_target, clone_disk_from, _internal
    if resize and cluster_name is None:
        raise ValueError('cluster_name must be specified when resize is True.')
    return _submit('launch', task, cluster_name=cluster_name,
                   retry_until_up=retry_until_up,
                   idle_minutes_to_autostop=idle_minutes_to_autostop,
                   wait_for=_wait_for(wait_for), dryrun=dryrun, down=down,
                   no_setup=no_setup, fast=fast)


def exec(task: Any,  # pylint: disable=redefined-builtin
         cluster_name: Optional[str] = None,
         dryrun: bool = False,
         down: bool = False,
         backend: Any = None) -> str:
    """Runs the task on an existing UP cluster."""
    del down, backend
    return _submit('exec', task, cluster_name=cluster_name, dryrun=dryrun)


def _wait_for(wait_for: Any) -> Optional[str]:
    return getattr(wait_for, 'value', wait_for)


def status(cluster_names: Optional[List[str]] = None,
           refresh: Any = None,
           all_users: bool = False,
           *,
           _include_credentials: bool = False,
           _summary_response: bool = False) -> str:
    """Cluster records (dict-like), refreshed when ``refresh`` is FORCE."""
    del all_users, _include_credentials, _summary_response
    value = getattr(refresh, 'value', refresh)
    return _submit('status', cluster_names=cluster_names,
                   refresh=value in ('FORCE', True))


def start(cluster_name: str,
          idle_minutes_to_autostop: Optional[int] = None,
          wait_for: Any = None,
          retry_until_up: bool = False,
          down: bool = False,
          force: bool = False) -> str:
    """Restarts a stopped cluster."""
    return _submit('start', cluster_name=cluster_name,
                   idle_minutes_to_autostop=idle_minutes_to_autostop,
                   wait_for=_wait_for(wait_for), retry_until_up=retry_until_up,
                   down=down, force=force)


def stop(cluster_name: str, purge: bool = False, graceful: bool = False,
         graceful_timeout: Optional[int] = None) -> str:
    """Stops a cluster."""
    return _submit('stop', cluster_name=cluster_name, purge=purge,
                   graceful=graceful, graceful_timeout=graceful_timeout)


def down(cluster_name: str, purge: bool = False, graceful: bool = False,
         graceful_timeout: Optional[int] = None) -> str:
    """Tears a cluster down."""
    return _submit('down', cluster_name=cluster_name, purge=purge,
                   graceful=graceful, graceful_timeout=graceful_timeout)


def autostop(cluster_name: str, idle_minutes: int, wait_for: Any = None,
             down: bool = False,  # pylint: disable=redefined-outer-name
             hook: Optional[str] = None,
             hook_timeout: Optional[int] = None) -> str:
    """Schedules (``idle_minutes < 0``: cancels) autostop / autodown."""
    del hook, hook_timeout
    return _submit('autostop', cluster_name=cluster_name,
                   idle_minutes=idle_minutes, wait_for=_wait_for(wait_for),
                   down=down)


def queue(cluster_name: str, skip_finished: bool = False,
          all_users: bool = False) -> str:
    """The cluster's job records."""
    return _submit('queue', cluster_name=cluster_name,
                   skip_finished=skip_finished, all_users=all_users)


def job_status(cluster_name: str, job_ids: Optional[List[int]] = None) -> str:
    """Statuses of jobs (the latest when ``job_ids`` is None)."""
    return _submit('job_status', cluster_name=cluster_name, job_ids=job_ids)


def cancel(cluster_name: str, all: bool = False,  # pylint: disable=redefined-builtin
           all_users: bool = False, job_ids: Optional[List[int]] = None,
           _try_cancel_if_cluster_is_init: bool = False) -> str:
    """Cancels jobs (the latest running one when none is named)."""
    return _submit('cancel', cluster_name=cluster_name, all=all,
                   all_users=all_users, job_ids=job_ids)


def tail_logs(cluster_name: str, job_id: Optional[int], follow: bool,
              tail: int = 0, output_stream: Any = None, *,
              preload_content: bool = True) -> int:
    """Streams a job's log to stdout; returns SkyPilot's exit code."""
    del output_stream, preload_content
    return _sky.sdk_tail_logs(cluster_name, job_id, follow, max(tail, 0))


def tail_provision_logs(cluster_name: str,
                        worker: Optional[int] = None,
                        follow: bool = True,
                        tail: int = 0,
                        output_stream: Any = None) -> int:
    """Streams the cluster's provision.log (or worker ``worker``'s
    provision logs) to stdout; returns 0."""
    del output_stream
    if worker is not None and worker < 1:
        raise ValueError('Worker must be a positive integer.')
    return _sky.sdk_tail_provision_logs(cluster_name, worker, follow, tail)


def download_logs(cluster_name: str,
                  job_ids: Optional[List[str]]) -> Dict[str, str]:
    """Copies job logs to ``~/sky_logs``; job id -> local directory."""
    ids = [int(j) for j in job_ids] if job_ids else None
    return json.loads(
        _sky.sdk_get(
            _submit('download_logs', cluster_name=cluster_name,
                    job_ids=ids)))


def endpoints(cluster: str, port: Optional[Union[int, str]] = None) -> str:
    """Port -> URL of the cluster's opened ports."""
    return _submit('endpoints', cluster_name=cluster,
                   port=int(port) if port is not None else None)


def cost_report(days: Optional[int] = None) -> str:
    """Cluster history records with their costs (last 30 days by default)."""
    return _submit('cost_report', days=30 if days is None else days)


def ssh_up(infra: Optional[str] = None, file: Optional[str] = None) -> str:
    """Sets up the SSH Node Pools of ~/.sky/ssh_node_pools.yaml (or `file`)."""
    return _submit('ssh_up', infra=infra, file=file)


def ssh_down(infra: Optional[str] = None) -> str:
    """Tears down SSH Node Pools set up with `ssh_up`."""
    return _submit('ssh_down', infra=infra)


def api_status(request_ids: Optional[List[str]] = None,
               all_status: bool = False,
               limit: Optional[int] = None,
               fields: Optional[List[str]] = None,
               cluster_name: Optional[str] = None) -> List[Dict[str, Any]]:
    """The journaled requests (unfinished ones unless ``all_status``)."""
    del fields
    records = json.loads(
        _sky.sdk_api_status(all=all_status, limit=limit,
                            request_ids=request_ids))
    if cluster_name is not None:
        records = [r for r in records if r.get('cluster_name') == cluster_name]
    return records


def api_cancel(request_ids: Optional[Union[str, List[str]]] = None,
               all_users: bool = False,
               silent: bool = False) -> str:
    """Cancels requests (all unfinished ones with ``all_users``)."""
    del silent
    if isinstance(request_ids, str):
        request_ids = [request_ids]
    if request_ids is None and not all_users:
        request_ids = []
    cancelled = _sky.sdk_api_cancel(request_ids)
    # Journaled too, so `sky.get` returns the ids as SkyPilot's does.
    return _sky.sdk_submit('api_cancel', json.dumps({'ids': cancelled}), None)
