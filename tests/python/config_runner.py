"""Runs one config case (tests/fixtures/config/cases.json) in this process
and prints what every step returned, as JSON.

Used by tests/python/test_config.py for stix, and by the recorder (outside
the repository) for SkyPilot 0.14.1, so both are driven the same way.
Usage: python config_runner.py ROOT < case.json, in a fresh process whose
HOME is ROOT/home and whose working directory is ROOT/cwd.
"""
import json
import os
import sys
import traceback

ROOT = os.path.abspath(sys.argv[1])
DIRS = {'HOME': os.path.join(ROOT, 'home'), 'CWD': os.path.join(ROOT, 'cwd'),
        'OTHER': os.path.join(ROOT, 'other')}


def real_path(p):
    head, _, rest = p.partition('/')
    if head in DIRS:
        return os.path.join(DIRS[head], rest) if rest else DIRS[head]
    return p


def env_value(v):
    for name, d in DIRS.items():
        v = v.replace(f'<{name}>', d)
    return v


def jsonable(v):
    if isinstance(v, dict):
        return {('None' if k is None else str(k)): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return {'__repr__': repr(v)}


def error(e):
    return {'type': type(e).__name__, 'mro': [c.__name__ for c in type(e).__mro__],
            'message': str(e)}


def typed(v):
    return {'type': type(v).__name__, 'value': jsonable(v)}


def keys_of(step, name='keys'):
    return tuple(step[name])


def run_steps(steps, state):
    return [run_step(s, state) for s in steps]


def run_step(step, state):
    try:
        return {'ok': True, 'result': do(step, state)}
    except Exception as e:  # pylint: disable=broad-except
        state.setdefault('tracebacks', []).append(traceback.format_exc())
        return {'ok': False, 'error': error(e)}


def do(step, state):
    op = step['op']
    if op == 'import':
        import sky  # pylint: disable=import-outside-toplevel
        from sky import skypilot_config  # pylint: disable=import-outside-toplevel
        state['sky'] = sky
        state['c'] = skypilot_config
        skypilot_config.loaded()  # stix reads the files on first use.
        return None
    sky = state['sky']
    c = state['c']
    from sky.utils import config_utils  # pylint: disable=import-outside-toplevel
    if op == 'to_dict':
        return typed(c.to_dict())
    if op == 'loaded':
        return c.loaded()
    if op == 'loaded_config_path':
        return c.loaded_config_path()
    if op == 'get_user_config':
        return typed(c.get_user_config())
    if op == 'get_nested':
        if 'override' in step:
            return typed(c.get_nested(keys_of(step), step['default'],
                                      override_configs=step['override']))
        return typed(c.get_nested(keys_of(step), step['default']))
    if op == 'get_nested_sentinel':
        sentinel = object()
        v = c.get_nested(keys_of(step), sentinel)
        return {'is_default': v is sentinel,
                'value': None if v is sentinel else jsonable(v)}
    if op == 'set_nested':
        return typed(c.set_nested(keys_of(step), step['value']))
    if op == 'env':
        return os.environ.get(step['var'])
    if op == 'set_env':
        os.environ[step['var']] = env_value(step['value'])
        return None
    if op == 'unset_env':
        os.environ.pop(step['var'], None)
        return None
    if op == 'write':
        path = real_path(step['path'])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w', encoding='utf-8') as f:
            f.write(step['content'])
        return None
    if op == 'remove':
        os.remove(real_path(step['path']))
        return None
    if op == 'sky_reload':
        return sky.reload_config()
    if op == 'reload':
        return c.reload_config()
    if op == 'override':
        with c.override_skypilot_config(step['override'], step.get('path')):
            return {'inside': run_steps(step['inside'], state)}
    if op == 'override_raise_invalid':
        from sky import exceptions  # pylint: disable=import-outside-toplevel
        with c.override_skypilot_config({'docker': {'run_options': 'x'}}):
            raise exceptions.InvalidSkyPilotConfigError('boom')
    if op == 'apply_cli':
        args = step['args']
        if args is not None:
            args = [real_path(a) for a in args]
        return typed(c.apply_cli_config(args))
    if op == 'task':
        path = os.path.join(DIRS['CWD'], 'task.yaml')
        with open(path, 'w', encoding='utf-8') as f:
            f.write(step['yaml'])
        task = sky.Task.from_yaml(path)
        res = list(task.resources)
        overrides = res[0].cluster_config_overrides
        out = {'overrides': jsonable(overrides), 'get': []}
        for keys in step.get('get', []):
            out['get'].append(run_step({'op': 'get_nested', 'keys': keys,
                                        'default': 'dflt', 'override': overrides},
                                       state))
        return out
    if op == 'resources_copy':
        r = sky.Resources(_cluster_config_overrides=step['current'])
        r2 = r.copy(_cluster_config_overrides=step['new'])
        return jsonable(r2.cluster_config_overrides)
    if op == 'config_get_nested':
        cfg = config_utils.Config(step['config'])
        allowed = step['allowed']
        disallowed = step['disallowed']
        return typed(cfg.get_nested(
            keys_of(step), step['default'], step['override'],
            [tuple(k) for k in allowed] if allowed is not None else None,
            [tuple(k) for k in disallowed] if disallowed is not None else None))
    if op == 'config_set_pop':
        cfg = config_utils.Config(step['config'])
        cfg.set_nested(tuple(step['set'][0]), step['set'][1])
        after_set = jsonable(cfg)
        popped = cfg.pop_nested(tuple(step['pop']), 'dflt')
        return {'after_set': after_set, 'popped': jsonable(popped),
                'after_pop': jsonable(cfg), 'type': type(cfg).__name__}
    if op == 'overlay':
        orig = step['original']
        over = step['override']
        return typed(c.overlay_skypilot_config(
            config_utils.Config(orig) if orig is not None else None,
            config_utils.Config(over) if over is not None else None))
    if op == 'region_config':
        return typed(c.get_effective_region_config(
            step['cloud'], tuple(step['keys']), step['region'], step['default'],
            step['override']))
    if op == 'active_workspace':
        return c.get_active_workspace()
    if op == 'config_from_dict':
        return typed(config_utils.Config.from_dict(step['value']))
    raise ValueError(f'unknown op {op}')


def main():
    case = json.load(sys.stdin)
    state = {}
    results = []
    for step in case['steps']:
        r = run_step(step, state)
        results.append(r)
        if step['op'] == 'import' and not r['ok']:
            break  # Nothing else can run without the module.
    text = json.dumps({'id': case['id'], 'steps': results})
    for name, d in sorted(DIRS.items(), key=lambda kv: -len(kv[1])):
        text = text.replace(d, f'<{name}>')
    print(text)
    if os.environ.get('CONFIG_RUNNER_TRACEBACKS'):
        sys.stderr.write('\n'.join(state.get('tracebacks', [])))


if __name__ == '__main__':
    main()
