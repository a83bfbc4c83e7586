"""Walkthroughs: the list, a walkthrough's contents, a stop in the player or in presenter
mode, its speaker notes, the printed handout, and the embeds of stops and exercises.

Next and Prev are plain links (``rel="next"``/``rel="prev"``), so a walkthrough works
without JavaScript; static/walkthrough.js adds the keys a presentation clicker sends and
keeps the notes window on the presenter's stop.  An unknown walkthrough or stop is a 404
that says which exist, never a 500.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from app import links
from app.problems import Problem
from app.rendering import render
from app.routes.exercises import exercise_response, known_exercise, part_of
from app.views.walkthroughs import card, code_windows, stop_page, stop_player, summaries
from engine.exercises import Exercise
from engine.walkthroughs import Stop, Walkthrough

router = APIRouter(include_in_schema=False)


def known_walkthrough(request: Request, walkthrough_id: str) -> Walkthrough:
    walkthroughs: dict[str, Walkthrough] = request.app.state.walkthroughs
    if walkthrough_id not in walkthroughs:
        raise Problem(404, "Unknown walkthrough", f"There is no walkthrough {walkthrough_id[:40]!r}; the walkthroughs "
                                                  f"are {', '.join(walkthroughs) or 'none yet'}.",
                      (("All walkthroughs", links.walkthroughs_href()),))
    return walkthroughs[walkthrough_id]


def known_stop(stop: str, w: Walkthrough = Depends(known_walkthrough)) -> Stop:
    try:
        return w.stop(stop)
    except KeyError as e:
        raise Problem(404, "Unknown stop", f"{e.args[0]}. The walkthrough may have been rewritten since the "
                                           f"link was made.", (("The walkthrough's contents", links.walkthrough_href(w)),)) from None


def _flag(value: str) -> bool:
    return value not in ("", "0")


@router.get("/w")
def walkthrough_list(request: Request) -> Response:
    cards = [card(w) for w in request.app.state.walkthroughs.values()]
    return render(request, "walkthroughs.html", {"title": "Walkthroughs", "cards": cards})


@router.get("/w/{walkthrough_id}")
def contents(request: Request, w: Walkthrough = Depends(known_walkthrough)) -> Response:
    return render(request, "walkthrough.html", {"title": w.spec.title, "w": card(w)})


@router.get("/w/{walkthrough_id}/handout")
def handout(request: Request, w: Walkthrough = Depends(known_walkthrough)) -> Response:
    pages = []
    for s in w.stops:
        page = stop_page(w, s, True, False)
        pages.append((page, stop_player(page, s, True)))
    return render(request, "handout.html", {"title": f"Handout: {w.spec.title}", "w": card(w), "pages": pages})


@router.get("/w/{walkthrough_id}/{stop}")
def stop(request: Request, reveal: str = "", present: str = "", w: Walkthrough = Depends(known_walkthrough),
         s: Stop = Depends(known_stop)) -> Response:
    revealed, presenting = _flag(reveal), _flag(present)
    page = stop_page(w, s, revealed, presenting)
    player = stop_player(page, s, revealed)
    if presenting:
        return render(request, "present.html", {"title": f"{s.key} {s.spec.title}", "page": page, "p": player,
                                                "windows": code_windows(player, s),
                                                "summary": summaries(player, page.changed)})
    return render(request, "walkthrough_stop.html", {"page": page, "p": player, "share_href": page.href})


@router.get("/w/{walkthrough_id}/{stop}/notes")
def notes(request: Request, reveal: str = "", w: Walkthrough = Depends(known_walkthrough),
          s: Stop = Depends(known_stop)) -> Response:
    page = stop_page(w, s, _flag(reveal), False)
    return render(request, "notes.html", {"title": f"Notes: {s.key} {s.spec.title}", "page": page})


@router.get("/embed/w/{walkthrough_id}/{stop}")
def embed_stop(request: Request, reveal: str = "", w: Walkthrough = Depends(known_walkthrough),
               s: Stop = Depends(known_stop)) -> Response:
    revealed = _flag(reveal)
    page = stop_page(w, s, revealed, False)
    return render(request, "walkthrough_stop.html", {"page": page, "p": stop_player(page, s, revealed),
                                                     "share_href": page.href, "embed": True})


@router.get("/embed/x/{exercise_id}")
def embed_exercise(request: Request, part: str = "", x: Exercise = Depends(known_exercise)) -> Response:
    return exercise_response(request, x, part_of(x, part), "", embed=True)
