"""The catalog as a person sees it: it starts with the story, and nothing in a card runs
past the card's edge on a projector or sideways on a phone."""

from __future__ import annotations

import pytest

# every element and every run of text inside each card, measured against the card's box
OVERFLOWS = """() => {
  const out = [];
  for (const card of document.querySelectorAll('.card')) {
    const box = card.getBoundingClientRect();
    const outside = r => r.width > 0 && (r.left < box.left - 1 || r.right > box.right + 1);
    const walker = document.createTreeWalker(card, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      let rects;
      if (n.nodeType === Node.TEXT_NODE) {
        if (!n.textContent.trim()) continue;
        const range = document.createRange();
        range.selectNodeContents(n);
        rects = [...range.getClientRects()];
      } else {
        rects = [n.getBoundingClientRect()];
        if (n.scrollWidth > n.clientWidth + 1 && getComputedStyle(n).overflowX !== 'visible')
          out.push(`${card.id}: <${n.tagName.toLowerCase()}> scrolls (${n.scrollWidth} > ${n.clientWidth})`);
      }
      if (rects.some(outside))
        out.push(`${card.id}: ${(n.textContent || '').trim().slice(0, 40)} runs past the card`);
    }
  }
  return out;
}"""


@pytest.mark.parametrize("width, height", [(1280, 720), (1920, 1080), (390, 844)])
def test_no_label_runs_past_its_catalog_card(browser, base_url, artifacts, width, height):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(f"{base_url}/")
    assert page.locator(".card").count() > 10
    problems = page.evaluate(OVERFLOWS)
    page_width = page.evaluate("document.documentElement.scrollWidth")
    page.screenshot(path=str(artifacts / f"catalog-{width}-full.png"), full_page=True, caret="initial")
    page.close()
    assert problems == []
    assert page_width <= width, f"the catalog is {page_width} px wide at {width} px"


def test_the_catalog_starts_with_the_story_then_goes_case_by_case(browser, base_url):
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(f"{base_url}/")
    start = page.locator(".start-here")
    assert start.locator(".card").get_attribute("id") == "scenario-realloc-file"
    assert "vma != vma_orig" in start.locator(".why").inner_text()
    assert start.bounding_box()["y"] < 720, "the start card is not on the first screen"
    cases = page.locator(".case-group > h2").all_inner_texts()
    assert cases[0].startswith("The 4.x rw_semaphore") and cases[1].startswith("C1:") and cases[2].startswith("C2:")
    page.close()
