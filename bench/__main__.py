"""Run every benchmark in turn: `python -m bench` (what `make bench` calls)."""

import importlib

for name in ("bench.engine", "bench.web", "bench.classroom", "bench.explore", "bench.exercises", "bench.walkthroughs", "bench.responses"):
    print()
    importlib.import_module(name).main()
