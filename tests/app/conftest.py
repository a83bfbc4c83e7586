import time
import warnings

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

import engine
from app.main import create_app

SCENARIO = "realloc-file"
V1 = "v1-pointer-check"
NULL_DEREF_RUN = "C2K3AK18A9K2"


@pytest.fixture(scope="session")
def app():
    application = create_app()
    yield application
    application.state.searches.close()


@pytest.fixture(scope="session")
def client(app):
    return TestClient(app)


@pytest.fixture(scope="session")
def digest():
    """What a link to the scenario under V1 carries."""
    return engine.catalog()[SCENARIO].link_digest(V1)


HX = {"HX-Request": "true"}


def ready(client, path: str) -> dict:
    """Ask until the background searches are done (bounded: 120 s)."""
    end = time.monotonic() + 120
    while time.monotonic() < end:
        r = client.get(path)
        if r.status_code == 200:
            return r.json()
        assert r.status_code == 202, r.text
        time.sleep(0.5)
    raise AssertionError(f"{path} still computing after 120 s")
