"""`sky launch` / `sky exec` task options against SkyPilot 0.14.1.

`tests/fixtures/cli/cases.json` holds, per argv, what SkyPilot's own click
command printed, its exit code, and the task it would have submitted (or the
exception it raised); see the README there. Each case runs here in a fresh
copy of `tests/fixtures/cli/files/`, twice: in-process through
`sky._sky.task_from_cli_args` (the task, or the exception), and through the
`sky` command line (what it prints and its exit code).
"""
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

import sky
from sky import _sky

FIXTURES = pathlib.Path(__file__).parent.parent / 'fixtures' / 'cli'
CASES = json.loads((FIXTURES / 'cases.json').read_text())
BY_ID = {c['id']: c for c in CASES}

# Where stix knowingly differs; each is listed in docs/compatibility.md.
NOT_YET = {}
# `-h` prints clap's help layout, not click's (same options, same texts).
HELP_CASES = {'help_short'}


def _check_help(case, out):
    assert 'Usage: sky launch [OPTIONS] [ENTRYPOINT]...' in out
    for opt in set(re.findall(r'(?<![\w-])--[a-z][a-z-]*', case['stdout'])):
        assert opt in out, opt


# stix also knows its own `local` infra, so it lists it among the clouds.
def _ours(message):
    return message.replace("'yotta', 'local', ", "'yotta', ")


# PyYAML's parser messages are not reproduced word for word.
YAML_ERROR = re.compile(r'YAML Error: .*?\n\n', re.S)


def _jsonable(v):
    """Mirrors `json.dump` in the recorder (None keys become 'null')."""
    if isinstance(v, dict):
        return {('null' if k is None else str(k)): _jsonable(x)
                for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return v


def _normalized(config):
    config = _jsonable(config)
    res = config.get('resources')
    if isinstance(res, dict) and 'any_of' in res:
        res['any_of'] = sorted(res['any_of'],
                               key=lambda r: json.dumps(r, sort_keys=True))
    return config


def _user_yaml(text):
    return _jsonable(_sky.load_yaml_all(text)[0]) if text else text


def _expected_stdout(case):
    # `task_from_cli_args` stops at the task: it submits nothing.
    return re.sub(r'Submitting job to cluster: .*\n', '', case['stdout'])


@pytest.fixture
def case_dir(tmp_path, monkeypatch):
    work = tmp_path / 'cwd'
    shutil.copytree(FIXTURES / 'files', work)
    home = tmp_path / 'home'
    home.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv('HOME', str(home))
    return work


def _prepare(case, work, monkeypatch):
    for name in case['mkdir']:
        (work / name).mkdir()
    for k, v in case['env'].items():
        monkeypatch.setenv(k, v)


@pytest.mark.parametrize('case', CASES, ids=[c['id'] for c in CASES])
def test_task_matches_skypilot(case, case_dir, monkeypatch, capfd):
    if case['id'] in NOT_YET:
        pytest.xfail(NOT_YET[case['id']])
    _prepare(case, case_dir, monkeypatch)
    outcome = case['outcome']
    argv, stdin = case['argv'], case['stdin'] or ''
    if outcome['kind'] == 'task':
        task = _sky.task_from_cli_args(argv, input=stdin)
        assert isinstance(task, sky.Task)
        got = _normalized(task.to_yaml_config())
        want = _normalized(outcome['task'])
        assert _user_yaml(got.pop('_user_specified_yaml', None)) == \
            _user_yaml(want.pop('_user_specified_yaml', None))
        assert got == want
        assert len(task.resources) == outcome['num_resources']
        assert type(task.resources).__name__ == outcome['resources_kind']
    elif outcome['kind'] == 'exception':
        with pytest.raises(Exception) as info:
            _sky.task_from_cli_args(argv, input=stdin)
        mro = [c.__name__ for c in type(info.value).__mro__]
        assert outcome['type'] in mro, info.value
        assert _ours(str(info.value)) == outcome['message']
    else:
        with pytest.raises(SystemExit) as info:
            _sky.task_from_cli_args(argv, input=stdin)
        assert info.value.code == outcome['code'] == case['exit_code']
    out, err = capfd.readouterr()
    if case['id'] in HELP_CASES:
        _check_help(case, out)
        return
    assert YAML_ERROR.sub('', out) == YAML_ERROR.sub('',
                                                     _expected_stdout(case))
    if outcome['kind'] == 'exit':
        assert err == case['stderr']
    elif outcome['kind'] == 'task':
        assert err == case['stderr']


def _run_cli(argv, stdin, env):
    code = 'import sys; from sky import cli; sys.argv[0] = "sky"; cli.main()'
    return subprocess.run([sys.executable, '-c', code] + argv,
                          input=stdin, capture_output=True, text=True,
                          env=env, timeout=60, check=False)


ERROR_CASES = [c for c in CASES if c['outcome']['kind'] != 'task']


@pytest.mark.parametrize('case', ERROR_CASES,
                         ids=[c['id'] for c in ERROR_CASES])
def test_cli_prints_what_skypilot_prints(case, case_dir, monkeypatch):
    """The `sky` command: stdout, stderr (the last line for exceptions,
    which SkyPilot sometimes prints with a traceback) and exit code."""
    if case['id'] in NOT_YET:
        pytest.xfail(NOT_YET[case['id']])
    _prepare(case, case_dir, monkeypatch)
    p = _run_cli(case['argv'], case['stdin'] or '', dict(os.environ))
    assert p.returncode == case['exit_code']
    if case['id'] in HELP_CASES:
        _check_help(case, p.stdout)
        return
    assert YAML_ERROR.sub('', p.stdout) == YAML_ERROR.sub('', case['stdout'])
    if case['outcome']['kind'] == 'exception':
        assert _ours(p.stderr.splitlines()[-1]) == \
            case['stderr'].splitlines()[-1]
    else:
        assert p.stderr == case['stderr']


def test_task_commands_are_listed_and_ask_before_launching(case_dir):
    help_text = _run_cli(['--help'], '', dict(os.environ)).stdout
    assert 'launch' in help_text and 'exec' in help_text
    p = _run_cli(['launch', '-c', 'new', 'echo', 'hi'], 'n\n',
                 dict(os.environ))
    # As `sdk._launch` does, the optimizer's plan comes before the prompt.
    head, plan = p.stdout.split('\n', 1)
    assert head == 'Command to run: echo hi'
    assert plan.startswith('Considered resources (1 node):\n')
    assert ' Local (local) ' in plan
    assert plan.endswith("Launching a new cluster 'new'. Proceed? [Y/n]: ")
    assert p.returncode == 1
    assert p.stderr == 'Aborted!\n'


def test_prompt_reasks_on_invalid_answer(case_dir):
    task = _sky.task_from_cli_args(['launch', 'nope.yaml'], input='maybe\ny\n')
    assert task.run == 'nope.yaml'


def test_dag_warning_lists_ignored_overrides(case_dir, capfd):
    with pytest.raises(SystemExit):
        _sky.task_from_cli_args(
            ['launch', 'multi.yaml', '--cpus', '2', '--infra', 'aws'])
    out, _ = capfd.readouterr()
    assert ("WARNING: override params {'cloud': AWS, 'region': None, "
            "'zone': None, 'cpus': '2'} are ignored, since the yaml file "
            'contains multiple tasks.') in out


def test_git_workdir_that_cannot_be_reached_is_a_value_error(case_dir):
    # SkyPilot checks the repository first (offline, or a repository that
    # does not exist, both fail the check) and words the failure so.
    with pytest.raises(ValueError,
                       match='Failed to access repository https://github.com/'
                       'x/y. If this is a private repository'):
        _sky.task_from_cli_args(
            ['launch', 'echo', '--git-url', 'https://github.com/x/y'])
    with pytest.raises(ValueError, match='Unsupported git URL format: /x/y'):
        _sky.task_from_cli_args(['launch', 'echo', '--git-url', '/x/y'])


def test_yaml_in_a_git_repo_records_its_commit(tmp_path, monkeypatch):
    """`load_chain_dag_from_yaml` stores the YAML directory's HEAD commit."""
    if shutil.which('git') is None:
        pytest.skip('git is not installed')
    repo = tmp_path / 'repo'
    repo.mkdir()
    shutil.copy(FIXTURES / 'files' / 'name.yaml', repo / 'name.yaml')
    env = dict(os.environ, GIT_AUTHOR_NAME='t', GIT_AUTHOR_EMAIL='t@t',
               GIT_COMMITTER_NAME='t', GIT_COMMITTER_EMAIL='t@t')
    for cmd in (['init', '-q'], ['add', '.'], ['commit', '-qm', 'x']):
        subprocess.run(['git'] + cmd, cwd=repo, env=env, check=True)
    head = subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=repo, check=True,
                          capture_output=True, text=True).stdout.strip()
    monkeypatch.chdir(tmp_path)
    task = _sky.task_from_cli_args(['launch', 'repo/name.yaml'])
    assert task.metadata == {'git_commit': head}
    assert task.to_yaml_config()['_metadata'] == {'git_commit': head}
