"""Python API snippets recorded against SkyPilot 0.14.1 (`_api.json`)."""
import json
import pathlib

import pytest

import sky

_EXPECTED = pathlib.Path(__file__).parent.parent / 'fixtures' / 'corpus' / 'expected'
CASES = [c for f in ('_api.json', '_api2.json')
         for c in json.loads((_EXPECTED / f).read_text())['cases']]


def _jsonable(v):
    if isinstance(v, dict):
        return {('None' if k is None else str(k)): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if hasattr(v, 'value') and hasattr(v, 'name'):
        return v.value
    return v


# Cases stix does not match yet; strict, so a fix shows up.
KNOWN_GAPS = {
}


@pytest.mark.parametrize('case', [
    pytest.param(c, marks=pytest.mark.xfail(strict=True, reason='known gap'))
    if c['id'] in KNOWN_GAPS else c for c in CASES
], ids=[c['id'] for c in CASES])
def test_api_case(case):
    ns = {'sky': sky}
    if not case['ok']:
        with pytest.raises(Exception) as info:
            exec(case['code'], ns)  # pylint: disable=exec-used
        assert case['error']['type'] in [c.__name__ for c in type(info.value).__mro__]
        return
    exec(case['code'], ns)  # pylint: disable=exec-used
    assert json.loads(json.dumps(_jsonable(ns['result']), default=repr)) == case['result']
