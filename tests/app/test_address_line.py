"""The address line's labels (ticks, boxes, markers) stay inside the strip and their boxes and
do not run into each other."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import engine
from app.views.format import text_width
from app.views.space import ASCENT, DESCENT, PAD, ROWS, TICK_LABEL, WIDTH, _Strip, address_space
from engine.schedule import replay


@pytest.mark.parametrize("scenario", sorted(engine.catalog()))
def test_tick_labels_fit_the_strip_without_overlapping(scenario):
    sc = engine.catalog()[scenario]
    ticks = address_space(replay(sc.initial(next(iter(sc.spec.expect))), ())).ticks
    spans = [(t.x, t.x + TICK_LABEL) if t.anchor == "start" else (t.x - TICK_LABEL, t.x) for t in ticks]
    assert all(0 <= a and b <= WIDTH for a, b in spans), spans
    assert all(b1 <= a2 for (_, b1), (a2, _) in zip(spans, spans[1:])), spans


def _witness_runs(sc):
    """Each declared witness of the scenario run to its end, and step 0 of each variant."""
    for vid, kinds in sc.spec.expect.items():
        yield replay(sc.initial(vid), ())
        for schedule in kinds.values():
            yield replay(sc.initial(vid), tuple(engine.parse_schedule(schedule)))


@pytest.mark.parametrize("scenario", sorted(engine.catalog()))
def test_box_and_marker_labels_fit_inside_their_box_and_the_strip(scenario):
    for run in _witness_runs(engine.catalog()[scenario]):
        space = address_space(run)
        for b in space.boxes:
            for text, px in ((b.label, ROWS.label_px), (b.sub, ROWS.sub_px)):
                assert text_width(text, px) + 2 * PAD <= b.width, (b, text)
        spans = sorted((m.label_x - text_width(m.label, ROWS.marker_px) / 2,
                        m.label_x + text_width(m.label, ROWS.marker_px) / 2) for m in space.markers)
        assert all(0 <= a and b <= WIDTH for a, b in spans), spans
        assert all(b1 <= a2 for (_, b1), (a2, _) in zip(spans, spans[1:])), spans


def test_the_rows_of_text_do_not_touch_and_stay_inside_the_strip():
    def extent(y, px):
        return y - ASCENT * px, y + DESCENT * px
    marker = extent(ROWS.marker_y, ROWS.marker_px)
    label, sub, tick = (extent(ROWS.label_y, ROWS.label_px), extent(ROWS.sub_y, ROWS.sub_px),
                        extent(ROWS.tick_y, ROWS.tick_px))
    box = (ROWS.box_top, ROWS.box_top + ROWS.box_height)
    assert 0 <= marker[0] and marker[1] <= ROWS.bracket_top < box[0]
    assert box[0] <= label[0] and label[1] <= sub[0] and sub[1] <= box[1]
    assert box[1] <= tick[0] and tick[1] <= ROWS.height


def test_a_box_too_narrow_for_its_label_says_less_rather_than_spilling_over():
    size = 0x1000
    live = [SimpleNamespace(vma=SimpleNamespace(start=a, end=a + size, file="/f" if n % 2 else None),
                            gen=12, addr=0xffff880000000000 + n * 192)
            for n, a in enumerate(range(0x7f0000000000, 0x7f0000000000 + 60 * size, size))]
    boxes = _Strip(live, []).boxes()
    assert boxes and all(b.width < text_width("gen 12", ROWS.sub_px) for b in boxes)
    for b in boxes:
        assert b.label in ("anon", "file", "a", "f", "") and b.sub in ("g12", "")
        for text, px in ((b.label, ROWS.label_px), (b.sub, ROWS.sub_px)):
            assert text_width(text, px) + 2 * PAD <= b.width
        assert "gen 12" in b.title          # what the box leaves out, its title still says
