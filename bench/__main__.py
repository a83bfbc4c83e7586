"""Run every benchmark in turn: `python -m bench` (what `make bench` calls)."""

import importlib

for name in ("bench.engine", "bench.web", "bench.classroom", "bench.explore", "bench.exercises", "bench.walkthroughs"):
    print()
    importlib.import_module(name).main()
