"""The API explorer as a teacher writing a grading script uses it: Swagger UI draws every
operation of /openapi.json under the app's CSP, and Try it out answers from this server."""

from playwright.sync_api import expect


def test_docs_tries_an_operation_against_this_server_with_no_csp_violation(browser, base_url, artifacts):
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))   # a CSP refusal is one
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{base_url}/docs")
    replay = page.locator(".opblock-summary", has_text="/api/scenarios/{scenario_id}/replay")
    expect(replay).to_be_visible(timeout=15_000)
    paths = page.request.get(f"{base_url}/openapi.json").json()["paths"]
    assert page.locator(".opblock").count() == sum(len(methods) for methods in paths.values())

    op = page.locator(".opblock", has=page.locator(".opblock-summary-path[data-path='/api/scenarios']"))
    op.locator(".opblock-summary-control").click()
    op.get_by_role("button", name="Try it out").click()
    op.get_by_role("button", name="Execute").click()
    status = op.locator(".live-responses-table .response .response-col_status")
    expect(status).to_have_text("200", timeout=15_000)
    expect(op.locator(".live-responses-table .microlight").first).to_contain_text("realloc-file")
    page.screenshot(path=str(artifacts / "api-docs-try-1280x720.png"), caret="initial")
    assert errors == []
