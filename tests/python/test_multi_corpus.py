"""Multi-document task YAML (pipelines, job groups) and the Dag API against
values recorded from SkyPilot 0.14.1.

`tests/fixtures/corpus/multi/*.yaml` with `expected/multi/*.json` (see the
corpus README), and `expected/_dag_api.json` (Python snippets, recorded the
same way as `_api.json`).
"""
import json
import pathlib
import shutil

import pytest

import sky
from sky.utils import dag_utils

from test_corpus import _jsonable, _set_sorted_repr, _sort_any_of

CORPUS = pathlib.Path(__file__).parent.parent / 'fixtures' / 'corpus'
MULTI = sorted((CORPUS / 'multi').glob('*.yaml'))
API_CASES = json.loads(
    (CORPUS / 'expected' / '_dag_api.json').read_text())['cases']

# SkyPilot crashes on these (AttributeError/TypeError from indexing a
# document that is not a mapping); stix names the document instead.
_NOT_A_MAPPING = 'must be a mapping of task fields, got'
_API_DELIBERATE = {
    'chain_str_int_doc': 'Invalid task YAML: document 1 ' + _NOT_A_MAPPING +
                         ' int.',
    'chain_str_second_doc_list': 'Invalid task YAML: document 2 ' +
                                 _NOT_A_MAPPING + ' list.',
}


def _check_error(want, exc, tmpdir):
    """`exc` is what stix raised where SkyPilot raised `want`."""
    message = str(exc).replace(str(tmpdir), '<TMPDIR>')
    mro = [c.__name__ for c in type(exc).__mro__]
    if 'YAMLError' in want['mro']:
        # PyYAML's classes are not ours to raise; stix raises ValueError.
        assert isinstance(exc, ValueError), message
        return
    if want['type'] == 'AttributeError':
        assert isinstance(exc, ValueError) and _NOT_A_MAPPING in message
        return
    if want['type'] == 'UnicodeDecodeError':
        assert isinstance(exc, ValueError)
    else:
        assert want['type'] in mro, f'{type(exc).__name__}: {message}'
    assert message == want['message']


def _check_task(task, want):
    got_config = _sort_any_of(_jsonable(task.to_yaml_config()))
    assert got_config == _sort_any_of(want['to_yaml_config'])
    got_user = _jsonable(task.to_yaml_config(use_user_specified_yaml=True))
    assert got_user == want['to_yaml_config_user_specified']
    got_repr = repr(task)
    if want.get('repr_set_order_normalized'):
        got_repr = _set_sorted_repr(got_repr)
    assert got_repr == want['repr']
    assert task.name == want['name']
    assert task.num_nodes == want['num_nodes']
    assert task.envs == want['envs']
    assert {k: v.get_secret_value() for k, v in task.secrets.items()
           } == want['secrets']
    assert {k: str(v) for k, v in task.secrets.items()} == want['secrets_str']
    assert (task.run, task.setup) == (want['run'], want['setup'])
    assert task.workdir == want['workdir']
    assert task.file_mounts == want['file_mounts']
    assert task.metadata == want['metadata']
    kind = 'list' if isinstance(task.resources, list) else 'set'
    assert kind == want['resources_kind']
    got_res = sorted(repr(r) for r in task.resources)
    assert got_res == sorted(r['repr'] for r in want['resources'])


def _check_dag(dag, want):
    assert dag.name == want['dag_name']
    assert dag.execution.value == want['execution']
    assert len(dag) == want['len']
    assert dag.is_chain() == want['is_chain']
    assert dag.is_job_group() == want['is_job_group']
    assert dag.primary_tasks == want['primary_tasks']
    assert dag.termination_delay == want['termination_delay']
    assert dag.inter_connection == want['inter_connection']
    edges = [[dag.tasks.index(a), dag.tasks.index(b)]
             for a, b in dag.get_graph().edges]
    assert edges == want['edges']
    assert len(dag.tasks) == len(want['tasks'])
    for task, want_task in zip(dag.tasks, want['tasks']):
        _check_task(task, want_task)


def _run(loader, path, want, tmpdir):
    if want['ok']:
        _check_dag(loader(str(path)), want)
        return
    with pytest.raises(Exception) as info:
        loader(str(path))
    _check_error(want['error'], info.value, tmpdir)


@pytest.mark.parametrize('src', MULTI, ids=[p.stem for p in MULTI])
def test_multi_matches_skypilot(src, tmp_path, monkeypatch, capsys):
    expected = json.loads(
        (CORPUS / 'expected' / 'multi' / f'{src.stem}.json').read_text())
    monkeypatch.setenv('HOME', str(tmp_path))
    # A copy outside any git repository, as recorded (no git_commit).
    work = tmp_path / 'in'
    work.mkdir()
    path = work / src.name
    shutil.copyfile(src, path)
    want_is_jg = expected['is_job_group_yaml']
    if isinstance(want_is_jg, dict):
        with pytest.raises(Exception) as info:
            dag_utils.is_job_group_yaml(str(path))
        _check_error(want_is_jg['error'], info.value, work)
    else:
        assert dag_utils.is_job_group_yaml(str(path)) is want_is_jg
    _run(dag_utils.load_chain_dag_from_yaml, path, expected['chain'], work)
    _run(dag_utils.load_job_group_from_yaml, path, expected['job_group'],
         work)
    captured = capsys.readouterr()
    assert captured.out + captured.err == expected['log']


@pytest.mark.parametrize('case', API_CASES, ids=[c['id'] for c in API_CASES])
def test_dag_api_matches_skypilot(case, capsys):
    ns = {'sky': sky}
    if case['id'] in _API_DELIBERATE:
        with pytest.raises(ValueError) as info:
            exec(case['code'], ns)  # pylint: disable=exec-used
        assert str(info.value) == _API_DELIBERATE[case['id']]
        return
    if not case['ok']:
        with pytest.raises(Exception) as info:
            exec(case['code'], ns)  # pylint: disable=exec-used
        err = case['error']
        assert err['type'] in [c.__name__ for c in type(info.value).__mro__]
        assert str(info.value) == err['message']
        return
    exec(case['code'], ns)  # pylint: disable=exec-used
    got = json.loads(json.dumps(_jsonable(ns['result'])))
    assert got == case['result']
    capsys.readouterr()
