"""Shared fixtures: the catalog, loaded once."""

import pytest

import engine


@pytest.fixture(scope="session")
def scenarios() -> dict[str, engine.Scenario]:
    return engine.catalog()
