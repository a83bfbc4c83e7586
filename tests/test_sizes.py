"""The code stays small: no module in engine/ or app/ over 400 lines, no function over 60."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def sizes() -> tuple[dict[str, int], dict[str, int]]:
    modules, functions = {}, {}
    for path in sorted(p for top in ("engine", "app") for p in (ROOT / top).rglob("*.py")):
        text = path.read_text()
        name = str(path.relative_to(ROOT))
        modules[name] = len(text.splitlines())
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                start = min([node.lineno] + [d.lineno for d in node.decorator_list])
                functions[f"{name}:{node.name}"] = node.end_lineno - start + 1
    return modules, functions


def test_no_module_is_over_400_lines():
    modules, _ = sizes()
    assert {m: n for m, n in modules.items() if n > MAX_MODULE_LINES} == {}


def test_no_function_is_over_60_lines():
    _, functions = sizes()
    assert {f: n for f, n in functions.items() if n > MAX_FUNCTION_LINES} == {}


if __name__ == "__main__":
    modules, functions = sizes()
    for label, table in (("modules", modules), ("functions", functions)):
        print(label)
        for name, n in sorted(table.items(), key=lambda kv: -kv[1])[:5]:
            print(f"  {n:4}  {name}")
