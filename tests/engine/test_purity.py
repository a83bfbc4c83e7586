"""engine/ is pure: no web imports, no clock, no randomness, no printing."""

import ast
from pathlib import Path

import engine

FORBIDDEN_IMPORTS = {"app", "fastapi", "starlette", "jinja2", "time", "random", "datetime", "uvicorn", "os",
                     "subprocess", "socket"}
ROOT = Path(engine.__file__).parent


def modules():
    return sorted(ROOT.rglob("*.py"))


def test_engine_imports_nothing_impure():
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN_IMPORTS, f"{path.name} imports {name}"


def test_engine_never_prints_or_exits():
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in ("print", "exit", "input", "open"), f"{path.name} calls {node.func.id}"
