"""Every link the app hands out, built in one place from values.

A player link is a whole state: ``/s/{scenario}?v=variant&run=schedule&h=digest``; the
digest makes a link recognisably old once the scenario or its programs change.  Step 0
carries no ``run``.  Schedules are always written in the canonical run-length form.  A
seeded instance adds ``seed``, and a scenario that came in a link (app.sources) adds
``src``, its text, to every link about it, so no click loses it.
Templates get their links from the view models or the ``run_href`` global, never by
pasting ids into paths.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

import engine
from engine import RunRef, Scenario
from engine.exercises import Exercise, Part
from engine.walkthroughs import Stop, Walkthrough


_PLAIN = re.compile(r"[A-Za-z0-9._~-]*")     # what urlencode leaves as it is


def _query(**params: str) -> str:
    """urlencode of the non-empty ``params``; most values need no quoting, and a step's page
    builds a link for every earlier step, so those skip urlencode."""
    return "&".join(f"{k}={v}" if _PLAIN.fullmatch(v) else urlencode({k: v}) for k, v in params.items() if v)


def _at(path: str, **params: str) -> str:
    """``path`` with the query of the non-empty ``params`` (none: no ``?``)."""
    query = _query(**params)
    return f"{path}?{query}" if query else path


def _seed(seed: int) -> str:
    """A link's ``seed``: the seeded instance it shows (engine.seeds); none for seed 0."""
    return str(seed) if seed else ""


def catalog_href() -> str:
    return "/"


def run_href(ref: RunRef) -> str:
    """The player at the end of ``ref``'s schedule."""
    return f"/s/{ref.scenario}?" + _query(v=ref.variant, run=engine.format_schedule(ref.schedule), h=ref.digest,
                                          seed=_seed(ref.seed), src=ref.source)


def player_href(scenario: Scenario, variant_id: str, tids: tuple[str, ...] | list[str]) -> str:
    return run_href(scenario.ref(variant_id, tuple(tids)))


def prefix_hrefs(scenario: Scenario, variant_id: str, tids: tuple[str, ...]) -> list[str]:
    """The player at every prefix of ``tids``, step 0 first: ``player_href`` of each, at the
    cost of one (the timeline and the log link every step of the run)."""
    digest, seed = scenario.link_digest(variant_id), _seed(scenario.seed)
    return [f"/s/{scenario.id}?" + _query(v=variant_id, run=run, h=digest, seed=seed, src=scenario.source)
            for run in engine.format_prefixes(tids)]


def raw_player_href(scenario: Scenario, variant_id: str, run_text: str) -> str:
    """A player link that keeps a schedule as typed (it may not replay on this variant)."""
    return f"/s/{scenario.id}?" + _query(v=variant_id, run=run_text, h=scenario.link_digest(variant_id),
                                         seed=_seed(scenario.seed), src=scenario.source)


def run_to_href(scenario: Scenario, variant_id: str, tids: tuple[str, ...], mode: str, tid: str = "") -> str:
    """A link the server answers with the longer run (see app.replays.run_to)."""
    return f"/s/{scenario.id}/run?" + _query(v=variant_id, run=engine.format_schedule(tids), h=scenario.link_digest(variant_id),
                                             to=mode, t=tid, seed=_seed(scenario.seed), src=scenario.source)


def compare_href(scenario: Scenario, a: str, b: str, tids: tuple[str, ...]) -> str:
    return f"/s/{scenario.id}/compare?" + _query(a=a, b=b, run=engine.format_schedule(tids),
                                                 h=scenario.link_digest(a, b), seed=_seed(scenario.seed),
                                                 src=scenario.source)


def checks_href(scenario: Scenario | None = None) -> str:
    return _at(f"/s/{scenario.id}/checks", src=scenario.source) if scenario is not None else "/checks"


def with_checks_href(scenario: Scenario) -> str:
    """The form that opens the player on any set of checks (``?c=vma-check&c=...``)."""
    return _at(f"/s/{scenario.id}/with-checks", src=scenario.source)


def checks_api_href(scenario: Scenario | None = None) -> str:
    return _at(f"/api/scenarios/{scenario.id}/checks", src=scenario.source) if scenario is not None else "/api/checks"


def explore_href(scenario: Scenario) -> str:
    """The explorer page (its form adds v, goal, ask and the bounds)."""
    return _at(f"/s/{scenario.id}/explore", src=scenario.source)


def explore_cancel_href(scenario: Scenario) -> str:
    return _at(f"/s/{scenario.id}/explore/cancel", src=scenario.source)


def replay_api_href(scenario: Scenario, variant_id: str, tids: tuple[str, ...]) -> str:
    """The replay's JSON (the API twin of the player link)."""
    return f"/api/scenarios/{scenario.id}/replay?" + _query(v=variant_id, run=engine.format_schedule(tids),
                                                            seed=_seed(scenario.seed), src=scenario.source)


def explore_page_href(scenario: Scenario, variant_id: str, goal: str, prefix: tuple[str, ...]) -> str:
    """The explorer page asked about ``goal`` from the state ``prefix`` reaches."""
    return _at(f"/s/{scenario.id}/explore", v=variant_id, goal=goal, **{"from": engine.format_schedule(prefix)},
               h=scenario.link_digest(variant_id), seed=_seed(scenario.seed), src=scenario.source)


def carried(scenario: Scenario) -> tuple[tuple[str, str], ...]:
    """What a GET form about ``scenario`` sends beside its own fields, as hidden inputs (a
    browser drops the query of a GET form's action): its seed and its source, where set."""
    return tuple((k, v) for k, v in (("seed", _seed(scenario.seed)), ("src", scenario.source)) if v)


def author_href(source: str = "", from_id: str = "") -> str:
    """The scenario editor: on the text of the token ``source``, of the catalog scenario
    ``from_id``, or (neither) of the built-in example."""
    return _at("/author", src=source, **{"from": from_id})


def author_check_href() -> str:
    """Where the editor posts its text to be checked (a fragment for htmx, else the page)."""
    return "/author/check"


def exercise_href(x: Exercise, part_id: str = "", run: tuple[str, ...] | list[str] = (), seed: int | None = None) -> str:
    """An exercise at a state: ``run`` is the whole run from step 0 (empty: the part's own
    starting state), ``h`` the exercise's digest, ``seed`` its instance (default: ``x``'s)."""
    return f"/x/{x.id}?" + _query(part=part_id, run=engine.format_schedule(tuple(run)), h=x.digest,
                                  seed=_seed(x.seed if seed is None else seed))


def grade_href(x: Exercise, part: Part, ref: RunRef | None) -> str:
    """Where a graded run opens: in the exercise if it is on the part's scenario and variant
    (a fix's counterexample is on another scenario: the player)."""
    if ref is None:
        return ""
    if part.scenario is not None and (ref.scenario, ref.variant) == (part.scenario.id, part.variant):
        return exercise_href(x, part.id, ref.schedule)
    return run_href(ref)


def exercises_href(ids: tuple[str, ...] | list[str] = (), seed: int = 0) -> str:
    """Every exercise, or the problem set of ``ids`` in their order, in instance ``seed``."""
    return "/x" + _set_query(ids, seed)


def _set_query(ids: tuple[str, ...] | list[str], seed: int) -> str:
    query = ([f"set={','.join(ids)}"] if ids else []) + ([f"seed={seed}"] if seed else [])
    return "?" + "&".join(query) if query else ""


def _in(x: Exercise) -> str:
    """The query naming ``x``'s instance, for the links that act on it."""
    return f"?seed={x.seed}" if x.seed else ""


def exercise_check_href(x: Exercise) -> str:
    """Where the no-JavaScript Check form posts."""
    return f"/x/{x.id}/check" + _in(x)


def exercise_check_api_href(x: Exercise) -> str:
    return f"/api/exercises/{x.id}/check" + _in(x)


def solution_href(x: Exercise) -> str:
    """The teacher's page: every part's reference answer and the explorer's verdict."""
    return f"/x/{x.id}/solution" + _in(x)


def walkthroughs_href() -> str:
    return "/w"


def walkthrough_href(w: Walkthrough) -> str:
    """A walkthrough's contents: its chapters and stops."""
    return f"/w/{w.id}"


def stop_href(stop: Stop, *, reveal: bool = False, present: bool = False) -> str:
    """A walkthrough stop; ``reveal`` shows a predict stop's answer, ``present`` is presenter mode."""
    query = _query(reveal="1" if reveal and stop.predict else "", present="1" if present else "")
    return f"/w/{stop.walkthrough}/{stop.key}" + (f"?{query}" if query else "")


def notes_href(stop: Stop, *, reveal: bool = False) -> str:
    """The speaker notes of a stop, for a second window."""
    return f"/w/{stop.walkthrough}/{stop.key}/notes" + ("?reveal=1" if reveal and stop.predict else "")


def handout_href(w: Walkthrough) -> str:
    return f"/w/{w.id}/handout"


def embed_stop_href(stop: Stop, *, reveal: bool = False) -> str:
    return f"/embed/w/{stop.walkthrough}/{stop.key}" + ("?reveal=1" if reveal and stop.predict else "")


def embed_exercise_href(x: Exercise, part_id: str = "") -> str:
    return f"/embed/x/{x.id}" + (f"?part={part_id}" if part_id else "")


def sheet_href(ids: tuple[str, ...] | list[str] = (), seed: int = 0) -> str:
    """A printable exercise sheet: each exercise's link as a QR code."""
    return "/x/sheet" + _set_query(ids, seed)


GUIDES = ("model", "authoring", "exercises")
_CASE = re.compile(r"C[0-9]+|claim-[0-9]+|rwsem")


def guide_href(name: str, anchor: str = "") -> str:
    """A page of the guide (docs/{name}.md), at ``anchor`` if one is given."""
    if name not in GUIDES:
        raise ValueError(f"no guide {name!r}; guides: {', '.join(GUIDES)}")
    return f"/guide/{name}" + (f"#{anchor}" if anchor else "")


def case_href(case: str) -> str:
    """Where the model guide describes case ``C2`` (its anchor is ``c2``), claim ``claim-10``
    or the rwsem rules (``rwsem``); "" for any other code, such as a section number."""
    return guide_href("model", case.lower()) if _CASE.fullmatch(case) else ""


def whole_log_href(scenario: Scenario, variant_id: str, tids: tuple[str, ...]) -> str:
    """The player at ``tids`` with its whole kernel log (the page shows the newest steps)."""
    return player_href(scenario, variant_id, tids) + "&log=all"
