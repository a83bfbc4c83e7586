"""The FastAPI application: catalog loaded once, routers, static files, security headers."""

from __future__ import annotations

import gc
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from starlette.exceptions import HTTPException
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import engine
from engine.exercises import catalog as exercise_catalog, load_dir as load_exercises
from engine.walkthroughs import catalog as walkthrough_catalog
from app.problems import (PROBLEM_JSON, Problem, ProblemDetails, http_error, invalid_request, problem_body,
                          respond, scenario_failed)
from app.lru import Lru
from app.replays import ReplayCache
from app.routes import api, author, explore, guide, pages
from app.routes import exercises as exercise_routes
from app.routes import grading as grading_routes
from app.routes import walkthroughs as walkthrough_routes
from app.search import Searches
from app.store import default_dir
from app.workers import watch_parent

STATIC = Path(__file__).resolve().parent.parent / "static"
MAX_QUERY = 4096
GZIP_MIN_BYTES = 1024
# A step allocates thousands of short-lived objects and the replay cache keeps many; collecting
# less often keeps a full collection (tens of ms over a class's cached runs) out of most steps.
GC_THRESHOLDS = (20_000, 20, 20)
GZIP_LEVEL = 4           # a step's page: 4x less CPU than level 9 for about 5% more bytes

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
       "frame-ancestors {}; base-uri 'none'; form-action 'self'")
EMBEDS = "/embed/"
EMBED_ANCESTORS = "'self'"          # who may frame /embed/ pages unless mmlock serve --frame-ancestors says
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.format("'none'").encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]


def embed_headers(frame_ancestors: str) -> list[tuple[bytes, bytes]]:
    """The headers of an /embed/ page: framed by ``frame_ancestors`` (CSP sources), nothing else changed."""
    return [(b"content-security-policy", CSP.format(frame_ancestors).encode())] + [
        h for h in SECURITY_HEADERS if h[0] not in (b"content-security-policy", b"x-frame-options")]


# not fingerprinted, so revalidate every time (StaticFiles answers 304 to a matching ETag)
STATIC_CACHE = [(b"cache-control", b"no-cache")]


class Guard:
    """Security headers on every response; an over-long query string is refused early; HEAD
    is answered as GET without the body, on every route; static files say how to cache them."""

    def __init__(self, app: ASGIApp, frame_ancestors: str = EMBED_ANCESTORS) -> None:
        self.app = app
        self.embed = embed_headers(frame_ancestors)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if len(scope.get("query_string", b"")) > MAX_QUERY:
            detail = f"The query string is longer than {MAX_QUERY} characters."
            if scope["path"].startswith("/api/"):
                body = json.dumps(problem_body(414, "URI too long", detail, scope["path"])).encode()
                kind = PROBLEM_JSON.encode()
            else:
                body, kind = detail.encode(), b"text/plain; charset=utf-8"
            await send({"type": "http.response.start", "status": 414,
                        "headers": [(b"content-type", kind),
                                    (b"content-length", str(len(body)).encode())] + SECURITY_HEADERS})
            await send({"type": "http.response.body", "body": body})
            return

        is_head = scope["method"] == "HEAD"
        if is_head:
            scope = {**scope, "method": "GET"}
        path = scope["path"]
        extra = (self.embed if path.startswith(EMBEDS) else SECURITY_HEADERS) + (
            STATIC_CACHE if path.startswith("/static/") else [])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + extra
            elif is_head and message["type"] == "http.response.body":
                message = {"type": "http.response.body", "body": b"", "more_body": message.get("more_body", False)}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class Compress:
    """gzip for every response of at least ``minimum_size`` bytes to a client that accepts
    it (Starlette's GZipMiddleware), letting the test client's ``http.response.debug``
    message (which template and context a page rendered) through, as gzip alone drops it."""

    def __init__(self, app: ASGIApp, minimum_size: int) -> None:
        self.app = app
        self.minimum_size = minimum_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def app_passing_debug(scope: Scope, receive: Receive, inner: Send) -> None:
            async def split(message: Message) -> None:
                await (send if message["type"] == "http.response.debug" else inner)(message)
            await self.app(scope, receive, split)
        await GZipMiddleware(app_passing_debug, self.minimum_size, GZIP_LEVEL)(scope, receive, send)


def _openapi(app: FastAPI) -> dict:
    """FastAPI's description, with every error answered as ProblemDetails (its own 422 schema,
    HTTPValidationError, is not what the API sends)."""
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas["ProblemDetails"] = ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}")
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        app.openapi_schema = schema
    return app.openapi_schema


def create_app(scenario_dir: Path | None = None, *, builtin: bool = True, warm_checks: bool = False,
               base_url: str = "", store: Path | None = None, exercise_dir: Path | None = None,
               frame_ancestors: str = EMBED_ANCESTORS) -> FastAPI:
    """The app over the built-in catalog (unless ``builtin`` is false) plus, optionally, a
    folder of scenario files (a file there replaces a built-in scenario with the same id),
    and the built-in exercises (with ``builtin``) plus those of ``exercise_dir``.
    ``warm_checks`` starts every scenario's why-checks searches and every exercise's
    verdicts at startup, so a class finds them ready, and ``store`` is the folder that keeps
    them across restarts (None: not kept).
    ``base_url`` ("https://mmlock.example.edu") makes share links absolute; without
    it they are relative, and the browser completes them (the Host header is not trusted).
    ``frame_ancestors`` (CSP sources, checked by app.cli) may frame the /embed/ pages; every
    other page forbids framing."""
    scenarios = engine.catalog() if builtin else {}
    if scenario_dir is not None:
        scenarios.update(engine.load_dir(Path(scenario_dir)))
    exercises = exercise_catalog(scenarios) if builtin else {}
    if exercise_dir is not None:
        exercises.update(load_exercises(Path(exercise_dir), scenarios))
    walkthroughs = walkthrough_catalog(scenarios) if builtin else {}
    searches = Searches(store=store)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if warm_checks:                  # the exercises' verdicts first: they take a second, the tables minutes
            searches.warm_exercises(exercises)
            searches.warm(scenarios)
        gc.freeze()                      # the catalog, templates and code: the collector never scans them again
        gc.set_threshold(*GC_THRESHOLDS)
        yield
        searches.close()

    app = FastAPI(title="mmlock", version="0.1.0", docs_url=None, redoc_url=None, lifespan=lifespan,
                  description="Step through Linux mm locking races one kernel line at a time.")
    app.state.scenarios = scenarios
    app.state.exercises = exercises
    app.state.walkthroughs = walkthroughs
    app.state.replays = ReplayCache()
    app.state.instances = Lru(256)          # seeded scenarios and exercises (engine.seeds), scenarios from links (app.sources)
    app.state.searches = searches
    app.state.base_url = base_url.rstrip("/")
    app.add_exception_handler(Problem, respond)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(engine.ScenarioError, scenario_failed)
    app.openapi = lambda: _openapi(app)
    app.include_router(api.router)
    app.include_router(explore.router)
    app.include_router(grading_routes.router)          # /x/grade, before /x/{exercise_id}
    app.include_router(exercise_routes.router)
    app.include_router(walkthrough_routes.router)
    app.include_router(pages.router)
    app.include_router(author.router)
    app.include_router(guide.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(Compress, minimum_size=GZIP_MIN_BYTES)   # pages gzip to about a fifth
    app.add_middleware(Guard, frame_ancestors=frame_ancestors)
    return app


@dataclass(frozen=True)
class Settings:
    """What ``mmlock serve`` was asked for, in a form that crosses into server processes
    (``--workers N`` starts each from the environment)."""

    scenarios: str = ""
    no_catalog: bool = False
    base_url: str = ""
    exercises: str = ""
    frame_ancestors: str = EMBED_ANCESTORS

    def app(self) -> FastAPI:
        return create_app(Path(self.scenarios) if self.scenarios else None, builtin=not self.no_catalog,
                          warm_checks=True, base_url=self.base_url, store=default_dir(),
                          exercise_dir=Path(self.exercises) if self.exercises else None,
                          frame_ancestors=self.frame_ancestors)

    def environment(self) -> dict[str, str]:
        return {"MMLOCK_SCENARIOS": self.scenarios, "MMLOCK_NO_CATALOG": "1" if self.no_catalog else "",
                "MMLOCK_BASE_URL": self.base_url, "MMLOCK_EXERCISES": self.exercises,
                "MMLOCK_FRAME_ANCESTORS": self.frame_ancestors}


def from_environment() -> FastAPI:
    """The app of one server process under ``mmlock serve --workers N``; it exits with the
    process that started it, as the search workers do."""
    watch_parent(os.getppid())
    env = os.environ
    return Settings(env.get("MMLOCK_SCENARIOS", ""), env.get("MMLOCK_NO_CATALOG") == "1",
                    env.get("MMLOCK_BASE_URL", ""), env.get("MMLOCK_EXERCISES", ""),
                    env.get("MMLOCK_FRAME_ANCESTORS", EMBED_ANCESTORS)).app()
