"""The printable exercise sheet: each exercise's task list and its link, as text and as a QR
code drawn here as SVG (segno), so a printed page needs no network and no CDN."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import segno
from markupsafe import Markup

from app import links
from engine.exercises import Exercise

_HOST = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?|\[[0-9a-fA-F:]+\](:[0-9]{1,5})?")


@dataclass(frozen=True)
class SheetRow:
    id: str
    title: str
    minutes: int
    tasks: list[str]
    url: str
    qr: Markup


def qr_svg(url: str, label: str) -> Markup:
    """``url`` as a QR code, an SVG element with a title for screen readers."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", xmldecl=False, svgns=True, omitsize=True, border=2,
                                     title=label, svgclass="qr", lineclass=None)
    return Markup(out.getvalue().decode("ascii").replace("<svg ", '<svg role="img" ', 1))


def origin(base_url: str, scheme: str, host: str) -> str:
    """The address printed links start with: the configured base URL, or the one the page
    was asked at when it is a plain host name ("" when the Host header is not)."""
    if base_url:
        return base_url
    return f"{scheme}://{host}" if _HOST.fullmatch(host or "") else ""


def sheet_rows(exercises: list[Exercise], start: str, seed: int) -> list[SheetRow]:
    rows = []
    for x in exercises:
        url = start + links.exercise_href(x, seed=seed)
        tasks = [p.spec.task for p in x.parts]
        rows.append(SheetRow(x.id, x.spec.title, x.spec.minutes, tasks, url, qr_svg(url, f"QR code of {url}")))
    return rows
