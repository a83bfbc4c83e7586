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
    return engine.catalog()[SCENARIO].digest


HX = {"HX-Request": "true"}
