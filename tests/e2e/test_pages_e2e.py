"""Every page, as a person sees it: no accessibility violations (axe-core) and, on a phone,
nothing that scrolls sideways."""

from __future__ import annotations

from pathlib import Path

import pytest

import engine
from app import links, sources

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
REALLOC = engine.catalog()["realloc-file"]
V1 = REALLOC.link_digest("v1-pointer-check")
CUSTOM = sources.from_text(REALLOC.path.read_text().replace('id = "realloc-file"', 'id = "my-realloc"'))
PAGES = {
    "catalog": "/",
    "player": f"/s/realloc-file?v=v1-pointer-check&run=K16A10C2K9&h={V1}",
    "player-start": "/s/exit?v=v4.8",
    "compare": f"/s/realloc-file/compare?a=v1-pointer-check&b=v4.8&run=K16A10C2K9&h={REALLOC.link_digest('v1-pointer-check', 'v4.8')}",
    "explore": f"/s/realloc-file/explore?v=v1-pointer-check&goal=any&h={V1}",
    "explore-from": f"/s/realloc-file/explore?v=v1-pointer-check&goal=null-deref&from=K16A10&h={V1}",
    "checks-scenario": "/s/munmap-nothing-above/checks",
    "checks-later-era": "/s/realloc-file-exec/checks",
    "player-v5.8": "/s/realloc-file-exec?v=v5.8&run=ABK3A9B7K10",
    "player-gup-fast": "/s/gup-fast?v=v4.8&run=G2K28",
    "checks": "/checks",
    "guide-model": "/guide/model",
    "guide-authoring": "/guide/authoring",
    "api-docs": "/docs",
    "stale-link": "/s/realloc-file?v=v1-pointer-check&run=K3&h=0000000000",
    "unknown-variant": "/s/realloc-file?v=v9",
    "unknown-page": "/guide/nope",
    "exercises": "/x",
    "exercise-set": "/x?set=x06,x04",
    "exercise-predict": "/x/x04",
    "exercise-goal": "/x/x06",
    "exercise-prove": "/x/x07?part=b",
    "exercise-solution": "/x/x07/solution",
    "exercise-seeded": "/x/x08?seed=7",
    "exercise-fix": "/x/x19?part=d",
    "grade-answers": "/x/grade",
    "guide-exercises": "/guide/exercises",
    "walkthroughs": "/w",
    "walkthrough-contents": "/w/w3",
    "walkthrough-stop": "/w/w3/1.3",
    "walkthrough-reveal": "/w/w3/1.3?reveal=1",
    "walkthrough-present": "/w/w3/1.3?present=1",
    "walkthrough-notes": "/w/w3/1.3/notes",
    "walkthrough-handout": "/w/w3/handout",
    "walkthrough-unknown-stop": "/w/w3/9.99",
    "exercise-sheet": "/x/sheet?set=x04,x06",
    "embed-stop": "/embed/w/w3/1.3?reveal=1",
    "embed-exercise": "/embed/x/x04",
    "author": "/author",
    "author-draft": "/author?src=" + sources.encode(REALLOC.path.read_text().replace("version = 1", "version = x")),
    "custom-broken": "/s/my-realloc?src=" + sources.encode(REALLOC.path.read_text().replace("version = 1", "version = x")),
    "player-custom": links.player_href(CUSTOM, "v1-pointer-check", engine.parse_schedule("K16A10C2K9")),
}
READY = {"checks-scenario": ".needs-line", "checks": ".everywhere",   # filled in when the searches end
         "api-docs": ".opblock >> nth=0"}                                       # Swagger UI has drawn the operations
STATUS = {"stale-link": 409, "unknown-variant": 404, "unknown-page": 404, "walkthrough-unknown-stop": 404,
          "custom-broken": 400}   # every other page is a 200


@pytest.fixture(scope="module")
def axe_source() -> str:
    assert AXE.exists(), f"{AXE} is missing: run make install (npm installs axe-core)"
    return AXE.read_text()


@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_accessibility_violations_and_fits_a_phone(browser, base_url, axe_source, name):
    # axe is injected as an inline script, which the app's CSP forbids: the context bypasses it
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
    page = ctx.new_page()
    response = page.goto(base_url + PAGES[name])
    assert response.status == STATUS.get(name, 200), f"{name} answered {response.status}"
    if name in READY:
        page.locator(READY[name]).wait_for(timeout=180_000)
    width = page.evaluate("document.documentElement.scrollWidth")
    page.add_script_tag(content=axe_source)
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    ctx.close()
    problems = [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
                for v in result["violations"]]
    assert width <= 390, f"{name} is {width} px wide on a 390 px phone"
    assert problems == [], problems
