"""One problem type for every request the app cannot answer as asked, rendered at the edge.

Dependencies and routes raise :class:`Problem`; :func:`respond`, the app's exception
handler, writes it for whoever asked:

- ``/api/...``: JSON ``{"detail": detail}`` (``detail`` is the message unless the problem
  carries a structured one, as the replay's 422 does) with the problem's headers, so a 503
  keeps its Retry-After;
- a page that registered its own problem page (the explorer, whose htmx fragments must
  answer 200 to be swapped in; see app.routes.explore) gets that;
- any other page: the problem's own page (the stale-link page, the player at the longest
  valid prefix) or ``error.html`` with the title, the message and the ways on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse, Response

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
    detail: Any = None
    page_status: int | None = None
    page: tuple[str, dict[str, Any]] | None = None

    def __post_init__(self) -> None:
        super().__init__(self.message)

    @property
    def json_detail(self) -> Any:
        return self.message if self.detail is None else self.detail

    @property
    def shown_status(self) -> int:
        return self.status if self.page_status is None else self.page_status


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def error_page(request: Request, problem: Problem) -> Response:
    if problem.page is not None:
        name, context = problem.page
        return render(request, name, context, problem.shown_status, headers=dict(problem.headers))
    return render(request, "error.html", {"title": problem.title, "message": sentence(problem.message),
                                          "links": list(problem.links)},
                  problem.shown_status, headers=dict(problem.headers))


async def respond(request: Request, problem: Exception) -> Response:
    """The exception handler for Problem."""
    assert isinstance(problem, Problem)
    if is_api(request):
        return JSONResponse({"detail": problem.json_detail}, problem.status, headers=dict(problem.headers))
    page: ProblemPage = getattr(request.state, "problem_page", error_page)
    return page(request, problem)


def problem_page(page: ProblemPage) -> Any:
    """A route dependency that makes ``page`` render this route's problems (list it first
    in the route's ``dependencies`` so it is in place before any other dependency runs)."""
    def use(request: Request) -> None:
        request.state.problem_page = page
    return Depends(use)
