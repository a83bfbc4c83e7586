"""The timeline as a person sees it: whole lane labels inside the drawing, step numbers that
do not touch, and a long run that scrolls inside the timeline's own box, never the page."""

from __future__ import annotations

import pytest

LONG = "/s/realloc-anon-faulted?v=v4.8&run=C2K3ABK21A9B7K24"      # 68 steps: every 5th is numbered
SHORT = "/s/realloc-file?v=v1-pointer-check&run=K16A10C2K9"       # 37 steps: every step is

TEXTS = """() => {
  const svg = document.querySelector('svg.timeline'), w = svg.width.baseVal.value, out = [];
  const box = t => t.getBBox();
  const lanes = [...svg.querySelectorAll('.lane text')], axis = [...svg.querySelectorAll('.axis text')];
  for (const t of [...lanes, ...axis]) { const b = box(t); if (b.x < 0 || b.x + b.width > w) out.push(`${t.textContent} is cut`); }
  axis.forEach((t, i) => { if (i && box(axis[i - 1]).x + box(axis[i - 1]).width > box(t).x) out.push(`${t.textContent} touches its neighbour`); });
  return {out, lanes: lanes.map(t => t.textContent), axis: axis.map(t => t.textContent)};
}"""


@pytest.mark.parametrize("width, height", [(1280, 720), (1920, 1080), (390, 844)])
@pytest.mark.parametrize("path", [SHORT, LONG])
def test_lane_labels_and_step_numbers_are_whole_and_apart(browser, base_url, width, height, path):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(base_url + path)
    found = page.evaluate(TEXTS)
    page.close()
    assert found["out"] == []
    assert "A mmap(MAP_FIXED, file)" in found["lanes"] or "A mmap(MAP_FIXED, anon)" in found["lanes"]
    assert found["axis"][0] == "1" and found["axis"][-1] == ("37" if path == SHORT else "68")


def test_a_long_timeline_scrolls_in_its_own_box_on_a_phone(browser, base_url, artifacts):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(base_url + LONG)
    scroll = page.locator(".timeline-scroll")
    sizes = scroll.evaluate("e => [e.scrollWidth, e.clientWidth, e.getBoundingClientRect().right]")
    scroll.screenshot(path=str(artifacts / "timeline-390.png"))
    page.close()
    assert sizes[0] > sizes[1], "the timeline does not scroll"
    assert sizes[2] <= 390, "the timeline's box runs past the phone's edge"
