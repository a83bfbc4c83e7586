"""Shared fixtures: the catalog, loaded once; catalog scenarios with a thread added."""

from pathlib import Path

import pytest

import engine


@pytest.fixture(scope="session")
def scenarios() -> dict[str, engine.Scenario]:
    return engine.catalog()


def with_threads(tmp_path: Path, base: str, threads: str) -> engine.Scenario:
    """Catalog scenario ``base`` with ``threads`` (TOML [[threads]] tables) added and no
    declarations, loaded from a file of its own."""
    text = (Path(engine.__file__).parent / "scenarios" / f"{base}.toml").read_text()
    path = tmp_path / f"{base}-and-more.toml"
    path.write_text(text.partition("[expect]")[0] + threads + "\n")
    return engine.load(path)


def run(state: engine.State, tids: str) -> engine.State:
    for tid in tids:
        state = engine.step(state, tid)
    return state
