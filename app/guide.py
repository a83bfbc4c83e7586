"""The guide: docs/{name}.md rendered as HTML for the /guide pages.

The files are ours, so raw HTML is kept: explicit anchors (``<a id="c2"></a>``) are how
the pages link a case or an assumption to its place in the guide.
"""

from __future__ import annotations

from pathlib import Path

from markdown_it import MarkdownIt
from markupsafe import Markup

DOCS = Path(__file__).resolve().parent.parent / "docs"

_markdown = MarkdownIt("commonmark", {"html": True}).enable("table")


def guide_html(name: str, docs: Path = DOCS) -> Markup:
    """The HTML of docs/{name}.md; FileNotFoundError when there is no such page.
    ``name`` must be one of links.GUIDES (the caller checks)."""
    html = _markdown.render((docs / f"{name}.md").read_text(encoding="utf-8"))
    # tables and code blocks scroll inside their box on a phone: keyboard users must reach them
    return Markup(html.replace("<table>", '<table tabindex="0">').replace("<pre>", '<pre tabindex="0">'))
