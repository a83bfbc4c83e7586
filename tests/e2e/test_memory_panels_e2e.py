"""The player's address line and slab table as a person sees them: no label of the strip is
cut by its edge or lies on another, and no cell of the slab table wraps past two lines."""

from __future__ import annotations

import pytest

import engine

PLAYERS = {
    "realloc-file": "/s/realloc-file?v=v1-pointer-check&run=K16A10C2K9",
    "mremap-shrink": "/s/mremap-shrink",
    "mremap-shrink-split": "/s/mremap-shrink?v=v1-pointer-check&run=C2K3AK19A8K14",
    "exit": "/s/exit?v=v4.8",
    "exit-freed": "/s/exit?v=v1-pointer-check&run=K16A7C2K3",
    "gup-fast": "/s/gup-fast?v=v4.8&run=G2K28",
    "munmap-reuse-above": "/s/munmap-reuse-above?v=v1-pointer-check&run=C2K21A13K2",
    "mremap-move": "/s/mremap-move?v=v1-pointer-check&run=C2K3AK19A26K",
}
SIZES = [(1280, 720), (1920, 1080), (390, 844)]

# the lines a cell's text takes: its text's boxes, a new line wherever one starts below the last
CELL_LINES = """() => [...document.querySelectorAll('table.slab tbody > tr > *')].map(cell => {
  const range = document.createRange();
  range.selectNodeContents(cell);
  const rects = [...range.getClientRects()].filter(r => r.width > 0 && r.height > 0).sort((a, b) => a.top - b.top);
  let lines = 0, bottom = -Infinity;
  for (const r of rects) { if (r.top >= bottom - 2) { lines += 1; bottom = r.bottom; } else bottom = Math.max(bottom, r.bottom); }
  return [cell.innerText.replace(/\\s+/g, ' ').trim().slice(0, 60), lines];
})"""

# every text of the strip against the viewBox and against each other, in the strip's units
STRIP_TEXTS = """() => {
  const svg = document.querySelector('svg.addr-line'), vb = svg.viewBox.baseVal, out = [];
  const texts = [...svg.querySelectorAll('text')].map(t => [t.textContent, t.getBBox()]);
  for (const [s, b] of texts)
    if (b.x < 0 || b.y < 0 || b.x + b.width > vb.width || b.y + b.height > vb.height) out.push(`${s} is cut by the edge`);
  texts.forEach(([s1, a], i) => texts.slice(i + 1).forEach(([s2, b]) => {
    if (a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height)
      out.push(`${s1} lies on ${s2}`);
  }));
  for (const g of svg.querySelectorAll('g.box')) {
    const r = g.querySelector('rect').getBBox();
    for (const t of g.querySelectorAll('text')) {
      const b = t.getBBox();
      if (b.x < r.x || b.x + b.width > r.x + r.width) out.push(`${t.textContent} runs out of its box`);
    }
  }
  return out;
}"""


@pytest.mark.parametrize("width, height", SIZES)
def test_no_label_of_the_address_line_is_cut_or_overlaps_another(browser, base_url, width, height):
    page = browser.new_page(viewport={"width": width, "height": height})
    problems = {}
    for name, path in PLAYERS.items():
        page.goto(base_url + path)
        if found := page.evaluate(STRIP_TEXTS):
            problems[name] = found
    page.close()
    assert problems == {}


@pytest.mark.parametrize("width, height", SIZES[:2])
def test_no_cell_of_the_slab_table_wraps_past_two_lines(browser, base_url, artifacts, width, height):
    page = browser.new_page(viewport={"width": width, "height": height})
    tall = {}
    for name, path in PLAYERS.items():
        page.goto(base_url + path)
        cells = page.evaluate(CELL_LINES)
        assert cells, name
        tall.update({f"{name}: {text}": n for text, n in cells if n > 2})
        assert any(text.startswith("[0x") for text, _ in cells), "no cell shows an address range"
    page.goto(base_url + PLAYERS["realloc-file"])
    page.locator("table.slab").screenshot(path=str(artifacts / f"slab-{width}.png"))
    page.close()
    assert tall == {}


def test_the_range_is_one_line_and_the_slab_table_scrolls_in_its_own_box_on_a_phone(browser, base_url):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(base_url + PLAYERS["realloc-file"])
    ranges = page.locator("table.slab code.range")
    assert ranges.count() == 2
    heights = ranges.evaluate_all("els => els.map(e => e.getClientRects().length)")
    assert heights == [1, 1]
    slab = page.locator("table.slab")
    assert slab.get_attribute("tabindex") == "0" and slab.evaluate("t => getComputedStyle(t).overflowX") == "auto"
    box = slab.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390      # it scrolls inside its box, never the page
    page.close()


def test_the_players_above_cover_scenarios_of_the_catalog():
    assert {path.split("?")[0].removeprefix("/s/") for path in PLAYERS.values()} <= set(engine.catalog())
