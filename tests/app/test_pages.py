import engine
from app import links
from tests.app.conftest import HX, NULL_DEREF_RUN, SCENARIO, V1


def test_catalog_lists_every_scenario_with_verdict_badges(client):
    r = client.get("/")
    assert r.status_code == 200
    assert r.template.name == "catalog.html"
    cards = r.context["cards"]
    assert {c.id for c in cards} == set(engine.catalog())
    card = next(c for c in cards if c.id == SCENARIO)
    assert [v.id for v in card.variants] == list(engine.variants.era_variants("v4.8"))
    assert "seed" not in card.seed or card.seed
    assert "expected:" in r.text


def test_player_page_shows_the_null_deref_report_and_its_check(client, digest):
    r = client.get(f"/s/{SCENARIO}?v={V1}&run={NULL_DEREF_RUN}&h={digest}")
    assert r.status_code == 200
    assert r.template.name == "player.html"
    p = r.context["p"]
    assert p.steps == 35 and p.schedule == NULL_DEREF_RUN
    assert p.violation.kind == "null-deref" and p.violation.step == 35
    assert "NULL pointer dereference" in p.violation.report
    assert "hugepage_vma_check" in p.violation.check
    assert all(not c.enabled for c in p.controls)
    assert p.back_href == links.player_href(engine.catalog()[SCENARIO], V1, engine.parse_schedule("C2K3AK18A9K"))


def test_player_shows_the_reused_slab_object_with_its_new_generation(client):
    r = client.get(f"/s/{SCENARIO}?v={V1}&run={NULL_DEREF_RUN}")
    p = r.context["p"]
    reused = [c for c in p.space.cards if c.gen == 2]
    assert reused and reused[0].was.endswith("anon") and "file" in reused[0].kind
    vma = next(l for l in p.threads[-1].frames[0].locals if l.name == "vma")
    assert vma.chip.stale and "now gen 2" in vma.chip.note


def test_step_links_are_canonical_and_add_one_step(client):
    r = client.get(f"/s/{SCENARIO}?v={V1}&run=CC")
    p = r.context["p"]
    step_k = next(c for c in p.controls if c.tid == "K")
    assert step_k.enabled and "run=C2K&" in step_k.href
    assert p.controls[0].key == p.controls[0].tid.lower()


def test_blocked_thread_says_whom_it_waits_behind(client):
    r = client.get(f"/s/{SCENARIO}?v={V1}&run=C2K3A")
    a = next(t for t in r.context["p"].threads if t.tid == "A")
    assert a.status == "blocked"
    assert a.status_text == "waiting for mmap_sem (write): held by K (read)"


def test_htmx_request_gets_the_stage_fragment_and_plain_request_the_page(client):
    url = f"/s/{SCENARIO}?v={V1}&run=C"
    frag = client.get(url, headers=HX)
    assert frag.template.name == "player.html" and frag.template.block == "stage"
    assert frag.text.lstrip().startswith('<section id="stage"') and "<html" not in frag.text
    page = client.get(url)
    assert "<html" in page.text and 'id="stage"' in page.text
    for r in (frag, page):
        assert "HX-Request" in r.headers["vary"]


def test_history_restore_request_gets_the_full_page(client):
    r = client.get(f"/s/{SCENARIO}?v={V1}&run=C", headers={**HX, "HX-History-Restore-Request": "true"})
    assert "<html" in r.text and not hasattr(r.template, "block")


def test_old_digest_opens_a_page_offering_the_current_version(client, digest):
    r = client.get(f"/s/{SCENARIO}?v={V1}&run=C2&h=0000000000")
    assert r.status_code == 409
    assert r.template.name == "stale.html"
    assert f"h={digest}" in r.context["current_href"] and "run=C2" in r.context["current_href"]
    assert "older version" in r.text


def test_invalid_schedule_shows_the_longest_valid_prefix_with_the_reason(client):
    r = client.get(f"/s/{SCENARIO}?v={V1}&run=C3")
    assert r.status_code == 400
    p = r.context["p"]
    assert p.schedule == "C2" and "step 3" in p.problem and "finished" in p.problem
    assert "longest valid prefix" in r.text


def test_invalid_schedule_is_still_swapped_by_htmx_as_a_fragment(client):
    r = client.get(f"/s/{SCENARIO}?v={V1}&run=Z", headers=HX)
    assert r.status_code == 400 and r.template.block == "stage"
    assert "not a thread id" in r.context["p"].problem


def test_unknown_scenario_and_variant_pages_name_the_problem(client):
    r = client.get("/s/nope")
    assert r.status_code == 404 and r.template.name == "error.html" and "nope" in r.context["message"]
    r = client.get(f"/s/{SCENARIO}?v=v9&run=C2")
    assert r.status_code == 404 and "'v9'" in r.context["message"]
    assert all("run=C2" in href for _, href in r.context["links"])


def test_variant_switch_keeps_the_schedule(client):
    r = client.get(f"/s/{SCENARIO}?v={V1}&run=C2K")
    hrefs = [v.href for v in r.context["p"].variants]
    assert all("run=C2K" in h for h in hrefs) and len(hrefs) == len(engine.variants.era_variants("v4.8"))


def test_run_to_next_lock_operation_redirects_to_the_longer_run(client):
    r = client.get(f"/s/{SCENARIO}/run?v={V1}&run=C2&t=K&to=lock", follow_redirects=False)
    assert r.status_code == 303
    assert "run=C2K&" in r.headers["location"]


def test_run_to_end_stays_bounded_and_lands_on_a_state_where_nothing_runs(client):
    r = client.get(f"/s/{SCENARIO}/run?v={V1}&to=end")
    assert r.status_code == 200
    assert not any(c.enabled for c in r.context["p"].controls) or r.context["p"].steps == 200


def test_run_to_for_htmx_returns_the_fragment_and_pushes_the_canonical_url(client):
    r = client.get(f"/s/{SCENARIO}/run?v={V1}&run=C2&t=K&to=block", headers=HX)
    assert r.template.block == "stage"
    assert r.headers["HX-Push-Url"].startswith(f"/s/{SCENARIO}?v={V1}&run=C2K")


def test_compare_carries_the_interleaving_and_marks_where_the_runs_part_ways(client):
    r = client.get(f"/s/{SCENARIO}/compare?a={V1}&b=v4.8&run=K16A10C2K9")
    assert r.status_code == 200 and r.template.name == "compare.html"
    c = r.context["c"]
    assert c.a.leads and c.a.schedule == "K16A10C2K9" and c.b.schedule == "K18A10C2K9"
    assert c.a.violation is not None and c.a.violation.kind == "null-deref"
    assert c.b.violation is None and "hugepage_vma_revalidate returns SCAN_VMA_CHECK" in c.b.outcome
    assert [g.parted for g in c.segments] == [False, False, False, True] and c.parted == 4
    assert 'id="segment-4"' in r.text and "the runs part ways here" in r.text


def test_compare_leads_on_the_right_when_the_schedule_only_replays_there(client):
    c = client.get(f"/s/{SCENARIO}/compare?a=v4.8&b={V1}&run=K16A10C2K9").context["c"]
    assert c.b.leads and not c.a.leads and c.lead is c.b
    assert c.a.schedule == "K18A10C2K9"


def test_compare_steps_every_thread_the_leading_side_can_run(client):
    c = client.get(f"/s/{SCENARIO}/compare?a={V1}&b=v4.8&run=K16").context["c"]
    enabled = {k.tid for k in c.controls if k.enabled}
    assert enabled == {"A", "C"}
    assert all("run=K16" in k.href for k in c.controls if k.enabled)


def test_compare_of_a_schedule_valid_on_neither_side_is_a_400_with_both_prefixes(client):
    r = client.get(f"/s/{SCENARIO}/compare?a={V1}&b=v4.8&run=K99")
    assert r.status_code == 400 and "replays on neither variant" in r.text
    assert r.context["c"].a.steps == 16


def test_compare_api_returns_both_runs_and_the_segments(client):
    body = client.get(f"/api/scenarios/{SCENARIO}/compare", params={"a": V1, "b": "v4.8", "run": "K16A10C2K9"}).json()
    assert body["lead"] == "a" and body["a"]["schedule"] == "K16A10C2K9" and body["b"]["schedule"] == "K18A10C2K9"
    assert body["b"]["violations"] == [] and body["a"]["violations"][0]["kind"] == "null-deref"
    assert [s["b"] for s in body["segments"]] == [[1, 18], [19, 28], [29, 30], [31, 39]]
    assert body["parted"] == 3 and "SCAN_VMA_CHECK" in body["b"]["outcome"]
    bad = client.get(f"/api/scenarios/{SCENARIO}/compare", params={"a": V1, "b": "v4.8", "run": "K99"})
    assert bad.status_code == 422 and bad.json()["step"] == 17


def test_security_headers_are_on_every_response(client):
    for url in ("/", f"/s/{SCENARIO}", "/api/scenarios", "/static/app.css"):
        h = client.get(url).headers
        assert "default-src 'self'" in h["content-security-policy"]
        assert "unsafe-inline" not in h["content-security-policy"]
        assert h["x-content-type-options"] == "nosniff"
        assert h["referrer-policy"] == "same-origin"


def test_pages_have_no_inline_scripts_or_styles(client):
    text = client.get(f"/s/{SCENARIO}?v={V1}&run={NULL_DEREF_RUN}").text
    assert "<script>" not in text and " style=" not in text and "<style" not in text
    assert "includeIndicatorStyles" in text


def test_over_long_query_is_refused_with_a_clear_message(client):
    r = client.get(f"/s/{SCENARIO}?run={'K' * 5000}")
    assert r.status_code == 414 and "longer than" in r.text


def test_api_docs_page_is_swagger_ui_over_the_description_and_lists_the_endpoints_without_js(client):
    r = client.get("/docs")
    assert r.status_code == 200
    assert 'id="swagger-ui"' in r.text and 'data-spec="/openapi.json"' in r.text
    for asset in ("/static/vendor/swagger-ui-bundle.js", "/static/vendor/swagger-ui.css", "/static/api-docs.js",
                  "/static/api-docs.css"):
        assert asset in r.text
        assert client.get(asset).status_code == 200, f"{asset} is missing: make install copies it from npm"
    fallback = r.text.partition("<noscript>")[2]
    assert "/api/scenarios/{scenario_id}/replay" in fallback
    assert client.get("/openapi.json").status_code == 200


def test_ended_run_says_so_once_instead_of_per_thread(client):
    r = client.get(f"/s/{SCENARIO}?v={V1}&run=K16A10C2K9")
    assert r.context["p"].ended == "The run has ended at step 37: null-deref in khugepaged (K)."
    assert r.text.count('aria-disabled="true" title="the run has ended"') == 0
    assert 'id="ended"' in r.text


def test_running_run_has_step_controls_and_no_ended_line(client):
    r = client.get(f"/s/{SCENARIO}?v={V1}&run=K3")
    assert r.context["p"].ended == ""
    assert 'id="step-K"' in r.text and 'id="ended"' not in r.text


def test_compare_shows_what_the_right_variant_changes_in_the_code(client):
    r = client.get(f"/s/{SCENARIO}/compare", params={"a": V1, "b": "v4.8"})
    changes = r.context["c"].code_changes
    assert changes == engine.variants.diff(V1, "v4.8") and changes
    assert "What v4.8 changes in the code of v1-pointer-check" in r.text
    assert "<del>- vma = find_vma(mm, address); if (vma != vma_orig) return false; }</del>" in r.text
