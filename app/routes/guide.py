"""The guide pages: /guide/model and /guide/authoring, from docs/*.md."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.guide import guide_html
from app.links import GUIDES, guide_href
from app.problems import Problem
from app.rendering import render

router = APIRouter(include_in_schema=False)
TITLES = {"model": "The model", "authoring": "Writing a scenario", "exercises": "Exercises"}


@router.get("/guide/{name}")
def guide(request: Request, name: str) -> Response:
    ways_on = tuple((TITLES[n], guide_href(n)) for n in GUIDES)
    if name not in GUIDES:
        raise Problem(404, "Unknown guide page", f"there is no guide page {name!r}; pages: {', '.join(GUIDES)}",
                      ways_on)
    try:
        body = guide_html(name)
    except FileNotFoundError:
        raise Problem(404, "Guide page not written yet", f"docs/{name}.md is missing", ways_on) from None
    pages = [(TITLES[n], guide_href(n), n == name) for n in GUIDES]
    return render(request, "guide.html", {"title": f"Guide: {TITLES[name]}", "body": body, "pages": pages})
