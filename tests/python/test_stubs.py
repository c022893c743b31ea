"""The .pyi stub names exactly what the native module exports."""
import ast
import pathlib

from sky import _sky

STUB = pathlib.Path(__file__).parent.parent.parent / 'stubs' / '_sky.pyi'


def _stub_tree():
    return ast.parse(STUB.read_text())


def _names(body):
    out = set()
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            out.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            out.add(node.target.id)
    return out - {'__init__'}


def test_module_exports_match_stub():
    tree = _stub_tree()
    exported = {n for n in dir(_sky) if not n.startswith('__') or n == '__version__'}
    assert _names(tree.body) == exported - {'__all__'}


def test_class_members_match_stub():
    for node in _stub_tree().body:
        if not isinstance(node, ast.ClassDef):
            continue
        cls = getattr(_sky, node.name)
        actual = {n for n in vars(cls) if not n.startswith('__')}
        assert _names(node.body) == actual, node.name
