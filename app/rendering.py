"""Templates: one per page, named blocks for the fragments htmx swaps.

An htmx request (``HX-Request``) gets the page's ``stage`` block; a plain request, and
htmx's history restore (``HX-History-Restore-Request``), get the whole page.  Responses
record the template and its context, so tests can assert the view model.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi import Request
from jinja2 import Environment, FileSystemLoader, Template, select_autoescape
from markupsafe import Markup, escape
from starlette.templating import _TemplateResponse

from app.links import guide_href, run_href

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STAGE = "stage"

env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                  trim_blocks=True, lstrip_blocks=True)
env.globals["run_href"] = run_href
env.globals["guide_href"] = guide_href
_CODE_SPAN = re.compile(r"`([^`]+)`")


def code_spans(text: str) -> Markup:
    """``text`` escaped, with each `span` in backticks (as scenario files write code) set as code."""
    return Markup(_CODE_SPAN.sub(lambda m: f"<code>{m[1]}</code>", str(escape(text))))


env.filters["code_spans"] = code_spans


class BlockTemplate:
    """One named block of a template, rendered on its own (the htmx fragment)."""

    def __init__(self, template: Template, block: str) -> None:
        self.template = template
        self.name = template.name
        self.block = block

    def render(self, context: dict[str, Any]) -> str:
        return "".join(self.template.blocks[self.block](self.template.new_context(context)))


def is_fragment(request: Request) -> bool:
    return (request.headers.get("hx-request") == "true"
            and request.headers.get("hx-history-restore-request") != "true")


def render(request: Request, name: str, context: dict[str, Any], status: int = 200,
           headers: dict[str, str] | None = None) -> _TemplateResponse:
    template = env.get_template(name)
    fragment = is_fragment(request) and STAGE in template.blocks
    chosen: Any = BlockTemplate(template, STAGE) if fragment else template
    base_url = getattr(request.app.state, "base_url", "")
    response = _TemplateResponse(chosen, {"request": request, "fragment": fragment, "base_url": base_url,
                                          **context}, status,
                                 headers=headers)
    response.headers["Vary"] = "HX-Request, HX-History-Restore-Request"
    return response
