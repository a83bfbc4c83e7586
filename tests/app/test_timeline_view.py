"""The timeline numbers its steps, labels each lane with the thread's whole name, and makes
each tick one link with nothing interactive inside another."""

from __future__ import annotations

import warnings
from html.parser import HTMLParser

import pytest

import engine
from app.main import create_app
from app.views.format import ADVANCE
from app.views.timeline import AXIS_GAP, AXIS_PX, LEFT, STRIDES, axis_steps, label_width, number_width, timeline
from engine.schedule import replay
from tests.app.conftest import SCENARIO, V1

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

THROUGH_POINTER_CHECK = "K16A10C2K9"      # 37 steps


def _timeline(scenario: engine.Scenario, variant: str, schedule: str):
    return timeline(scenario, variant, replay(scenario.initial(variant), tuple(engine.parse_schedule(schedule))))


def test_every_step_is_numbered_when_the_numbers_fit_side_by_side():
    tl = _timeline(engine.catalog()[SCENARIO], V1, THROUGH_POINTER_CHECK)
    assert [a.step for a in tl.axis] == list(range(1, 38))
    assert [a.step for a in tl.axis if a.current] == [37]
    assert [a.x for a in tl.axis] == [t.x for t in tl.ticks]         # each number over its tick


@pytest.mark.parametrize("n, step_w", [(68, 860 / 68), (120, 8.0), (300, 8.0), (999, 8.0), (12, 8.0), (2, 28.0)])
def test_a_long_run_numbers_every_5th_or_10th_step_and_always_the_first_and_the_current(n, step_w):
    shown = axis_steps(n, step_w)
    assert shown[0] == 1 and shown[-1] == n
    need = number_width(n) + AXIS_GAP
    assert all((b - a) * step_w >= need for a, b in zip(shown, shown[1:])), shown     # never on each other
    stride = next(s for s in STRIDES if s * step_w >= need)
    assert all(k % stride == 0 for k in shown[1:-1]), (stride, shown)
    assert all(b - a <= 2 * stride for a, b in zip(shown, shown[1:])), shown           # and no wider gaps


def test_the_current_steps_number_wins_over_its_neighbour():
    assert axis_steps(13, 8.0) == [1, 5, 10, 13]
    assert axis_steps(12, 8.0) == [1, 5, 12]        # 10 would touch 12
    assert axis_steps(0, 28.0) == []


def test_each_lane_has_the_threads_whole_name_and_room_for_it():
    for scenario in engine.catalog().values():
        variant = scenario.era.default
        tl = timeline(scenario, variant, replay(scenario.initial(variant), ()))
        names = {t.tid: t.name for t in scenario.initial(variant).threads}
        assert {lane.tid: lane.name for lane in tl.lanes} == names
        assert all(LEFT + label_width(lane) <= tl.width for lane in tl.lanes), scenario.id
        tops = [lane.y for lane in tl.lanes]
        assert all(a < b for a, b in zip(tops, tops[1:])) and tl.axis_y < tops[0]


def test_a_thread_with_a_long_name_widens_the_timeline(tmp_path):
    source = engine.catalog()[SCENARIO].path.read_text()
    name = "mmap(MAP_FIXED|MAP_SHARED|MAP_POPULATE, /srv/data/a-long-name)"[:60]     # the longest allowed
    (tmp_path / "long.toml").write_text(source.replace('name = "mmap(MAP_FIXED, file)"', f'name = "{name}"'))
    tl = _timeline(engine.load(tmp_path / "long.toml"), V1, "")
    lane = next(lane for lane in tl.lanes if lane.tid == "A")
    assert lane.name == name and tl.width >= LEFT + (len(name) + 2) * ADVANCE * 13


class _Timeline(HTMLParser):
    """The links and texts inside the page's timeline SVG, and any interactive element in another."""

    INTERACTIVE = {"a", "button", "input", "select", "textarea", "details", "summary"}

    def __init__(self) -> None:
        super().__init__()
        self.depth, self.open, self.links, self.nested, self.texts, self.axis = 0, [], 0, [], [], []
        self.in_axis = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg" and "timeline" in (a.get("class") or ""):
            self.depth = 1
            return
        if not self.depth:
            return
        self.depth += 1
        if tag == "g" and a.get("class") == "axis":
            self.in_axis = a.get("aria-hidden") == "true"
        if tag in self.INTERACTIVE or "tabindex" in a:
            if self.open:
                self.nested.append(tag)
            self.open.append(tag)
            self.links += tag == "a"

    def handle_endtag(self, tag):
        if not self.depth:
            return
        self.depth -= 1
        if self.open and tag == self.open[-1]:
            self.open.pop()
        if tag == "g":
            self.in_axis = False

    def handle_data(self, data):
        if self.depth and data.strip():
            (self.axis if self.in_axis else self.texts).append(data.strip())


@pytest.fixture(scope="module")
def timeline_html():
    app = create_app()
    try:
        r = TestClient(app).get(f"/s/{SCENARIO}?v={V1}&run={THROUGH_POINTER_CHECK}")
    finally:
        app.state.searches.close()
    assert r.status_code == 200
    parser = _Timeline()
    parser.feed(r.text)
    return parser


def test_the_page_draws_one_link_per_tick_and_no_control_inside_another(timeline_html):
    assert timeline_html.links == 37 and timeline_html.nested == []


def test_the_page_shows_the_step_numbers_and_whole_lane_names(timeline_html):
    assert timeline_html.axis == [str(k) for k in range(1, 38)]
    assert "mmap(MAP_FIXED, file)" in timeline_html.texts and "khugepaged" in timeline_html.texts
    assert AXIS_PX < 13      # the numbers are smaller than the lane labels
