"""The address line's tick labels stay inside the strip and do not run into each other."""

from __future__ import annotations

import pytest

import engine
from app.views.space import TICK_LABEL, WIDTH, address_space
from engine.schedule import replay


@pytest.mark.parametrize("scenario", sorted(engine.catalog()))
def test_tick_labels_fit_the_strip_without_overlapping(scenario):
    sc = engine.catalog()[scenario]
    ticks = address_space(replay(sc.initial(next(iter(sc.spec.expect))), ())).ticks
    spans = [(t.x, t.x + TICK_LABEL) if t.anchor == "start" else (t.x - TICK_LABEL, t.x) for t in ticks]
    assert all(0 <= a and b <= WIDTH for a, b in spans), spans
    assert all(b1 <= a2 for (_, b1), (a2, _) in zip(spans, spans[1:])), spans
