"""The guide: docs/{name}.md rendered as HTML for the /guide pages.

The files are ours, so raw HTML is kept: explicit anchors (``<a id="c2"></a>``) are how
the pages link a case or an assumption to its place in the guide.
"""

from __future__ import annotations

import re
from pathlib import Path

from markdown_it import MarkdownIt
from markupsafe import Markup

from app.links import GUIDES, guide_href

DOCS = Path(__file__).resolve().parent.parent / "docs"

_markdown = MarkdownIt("commonmark", {"html": True}).enable("table")
_DOC_LINK = re.compile(r'href="([a-z]+)\.md(?:#([a-z0-9-]+))?"')


def guide_html(name: str, docs: Path = DOCS) -> Markup:
    """The HTML of docs/{name}.md; FileNotFoundError when there is no such page.
    ``name`` must be one of links.GUIDES (the caller checks)."""
    html = _markdown.render((docs / f"{name}.md").read_text(encoding="utf-8"))
    # a link to another file of docs/ (model.md#goals) opens that page of the guide
    html = _DOC_LINK.sub(lambda m: f'href="{guide_href(m[1], m[2] or "")}"' if m[1] in GUIDES else m[0], html)
    # tables and code blocks scroll inside their box on a phone: keyboard users must reach them
    return Markup(html.replace("<table>", '<table tabindex="0">').replace("<pre>", '<pre tabindex="0">'))
