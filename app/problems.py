"""One problem type for every request the app cannot answer as asked, rendered at the edge.

Dependencies and routes raise :class:`Problem`; :func:`respond`, the app's exception
handler, writes it for whoever asked:

- ``/api/...``: RFC 9457 problem details (``application/problem+json``): ``type``, ``title``,
  ``status``, ``detail`` (the sentence) and ``instance`` (the path), plus the problem's own
  fields where it has them (the replay's 422: ``step``, ``enabled``, ``prefix``; a request
  FastAPI could not validate: ``errors``), with the problem's headers, so a 503 keeps its
  Retry-After.  :data:`API_PROBLEMS` documents every status in the OpenAPI description;
- a page that registered its own problem page (the explorer, whose htmx fragments must
  answer 200 to be swapped in; see app.routes.explore) gets that;
- any other page: the problem's own page (the stale-link page, the player at the longest
  valid prefix) or ``error.html`` with the title, the message and the ways on.
"""

from __future__ import annotations

import re

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException

from app.links import author_href
from app.rendering import render

Links = tuple[tuple[str, str], ...]
ProblemPage = Callable[[Request, "Problem"], Response]


@dataclass(eq=False)
class Problem(Exception):
    """``status`` and one sentence naming why; ``links`` are the ways on a page offers.

    ``page_status`` is the page's status where it differs from the API's (an unknown
    variant: the page is a 404 listing every variant, the API a 400 naming them);
    ``page`` is a template and its context to show instead of ``error.html``."""

    status: int
    title: str
    message: str
    links: Links = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    fields: Mapping[str, Any] = field(default_factory=dict)    # the problem's own, beside detail
    page_status: int | None = None
    page: tuple[str, dict[str, Any]] | None = None

    def __post_init__(self) -> None:
        super().__init__(self.message)

    @property
    def shown_status(self) -> int:
        return self.status if self.page_status is None else self.page_status


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


_WORD = re.compile(r"[a-z]+(?![-:_0-9a-z])")


def say(text: str) -> str:
    """``text`` as a sentence: capitalised when it starts with a plain word (not with an id
    such as x06 or vma-check), with a full stop."""
    if _WORD.match(text):
        text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else f"{text}."


def error_page(request: Request, problem: Problem) -> Response:
    if problem.page is not None:
        name, context = problem.page
        return render(request, name, context, problem.shown_status, headers=dict(problem.headers))
    return render(request, "error.html", {"title": problem.title, "message": sentence(problem.message),
                                          "links": list(problem.links)},
                  problem.shown_status, headers=dict(problem.headers))


class ProblemDetails(BaseModel):
    """What every 4xx and 5xx of the API answers (RFC 9457)."""

    model_config = ConfigDict(extra="allow")
    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    step: int | None = None
    enabled: list[str] | None = None
    prefix: str | None = None
    errors: list[dict[str, Any]] | None = None


PROBLEM_JSON = "application/problem+json"
_SAYS = {400: "a parameter is malformed or names nothing that exists", 404: "no such scenario, variant or path",
         409: "the link was made for another version of the scenario", 414: "the query string is too long",
         422: "a parameter fails validation, or a well-formed schedule stops replaying at a step "
              "(one over the 2000 steps a replay runs, too)",
         503: "the explorer is busy or its workers were restarted (see Retry-After)"}
API_PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: {"description": says, "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}}
    for code, says in _SAYS.items()}


def problem_body(status: int, title: str, detail: str, instance: str, **fields: Any) -> dict[str, Any]:
    """The RFC 9457 body: every API error, the Guard's 414 included, is written here."""
    return {"type": "about:blank", "title": title, "status": status, "detail": detail, "instance": instance,
            **fields}


def problem_json(request: Request, status: int, title: str, detail: str, headers: Mapping[str, str] = {},
                 **fields: Any) -> JSONResponse:
    return JSONResponse(problem_body(status, title, detail, request.url.path, **fields), status,
                        headers=dict(headers), media_type=PROBLEM_JSON)


async def respond(request: Request, problem: Exception) -> Response:
    """The exception handler for Problem."""
    assert isinstance(problem, Problem)
    if is_api(request):
        return problem_json(request, problem.status, problem.title, problem.message, problem.headers,
                            **problem.fields)
    page: ProblemPage = getattr(request.state, "problem_page", error_page)
    return page(request, problem)


def _where(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


async def invalid_request(request: Request, e: Exception) -> Response:
    """FastAPI's own 422 (a parameter its declaration rejects), as a problem with ``errors``."""
    assert isinstance(e, RequestValidationError)
    errors = [{"loc": list(err["loc"]), "msg": err["msg"], "type": err["type"]} for err in e.errors()]
    detail = "; ".join(f"{_where(err['loc'])}: {err['msg']}" for err in errors)
    if is_api(request):
        return problem_json(request, 422, "Invalid request", detail, errors=errors)
    return error_page(request, Problem(422, "Invalid request", detail))


async def scenario_failed(request: Request, e: Exception) -> Response:
    """A scenario that fails while it runs (a thread's arguments that do not fit its program,
    which the loader cannot check): a 400 for one that came in the request's link (``src``),
    whose text is the requester's; a 500 naming it for a served one, whose file is the server's."""
    source = request.query_params.get("src", "")
    ways_on = ((("Open it in the editor", author_href(source)),) if source else ())
    return await respond(request, Problem(400 if source else 500, "The scenario cannot run", str(e), ways_on))


async def http_error(request: Request, e: Exception) -> Response:
    """Starlette's own errors (an unknown path, a method a route does not take)."""
    assert isinstance(e, HTTPException)
    title = {404: "Not found", 405: "Method not allowed"}.get(e.status_code, "Request refused")
    detail = f"there is no {request.url.path}" if e.status_code == 404 else str(e.detail)
    if is_api(request):
        return problem_json(request, e.status_code, title, detail, e.headers or {})
    return error_page(request, Problem(e.status_code, title, detail, headers=e.headers or {}))


def problem_page(page: ProblemPage) -> Any:
    """A route dependency that makes ``page`` render this route's problems (list it first
    in the route's ``dependencies`` so it is in place before any other dependency runs)."""
    def use(request: Request) -> None:
        request.state.problem_page = page
    return Depends(use)
