"""HTTP hygiene: HEAD on every route, caching of static files, share links that do not
trust the Host header."""

from __future__ import annotations

import warnings

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from app.main import create_app


@pytest.mark.parametrize("path", ["/", "/healthz", "/s/realloc-file", "/api/scenarios", "/static/app.css",
                                  "/guide/model"])
def test_head_answers_like_get_without_a_body(client, path):
    get, head = client.get(path), client.head(path)
    assert (head.status_code, get.status_code) == (200, 200)
    assert head.content == b"" and head.headers["content-type"] == get.headers["content-type"]


def test_head_of_a_missing_page_is_a_404_too(client):
    assert client.head("/s/no-such").status_code == 404


def test_static_files_are_revalidated_and_answer_304_to_their_etag(client):
    r = client.get("/static/app.css")
    assert r.headers["cache-control"] == "no-cache" and "etag" in r.headers
    again = client.get("/static/app.css", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304
    assert "cache-control" not in client.get("/").headers


def test_the_share_link_never_copies_the_host_header(client):
    page = client.get("/s/realloc-file", headers={"Host": "evil.example"})
    assert "evil.example" not in page.text
    assert 'id="share-link" type="text" readonly value="/s/realloc-file?' in page.text


def test_a_configured_base_url_makes_the_share_link_absolute():
    app = create_app(base_url="https://mmlock.example.edu/")
    try:
        page = TestClient(app).get("/s/realloc-file", headers={"Host": "evil.example"})
    finally:
        app.state.searches.close()
    assert 'value="https://mmlock.example.edu/s/realloc-file?' in page.text and "evil.example" not in page.text
