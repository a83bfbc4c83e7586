"""The teacher's page that grades pasted answers, as mmlock grade grades a file."""

from __future__ import annotations

ANSWERS = """student,exercise,answer
ada,x06,C$ K>down_write A$ K$
bob,x06,C$ K$ A$
cy,x04,equal
dee,x99,K$
"""


def test_the_form_is_there_without_results(client):
    r = client.get("/x/grade")
    assert r.status_code == 200
    assert '<textarea id="answers" name="answers"' in r.text and "answer(s)" not in r.text


def test_pasted_answers_are_graded_row_by_row(client):
    r = client.post("/x/grade", data={"answers": ANSWERS})
    assert r.status_code == 200
    assert "4 answers: 2 passed, 2 failed" in r.text
    assert r.text.count('<span class="badge pass">pass</span>') == 2
    assert "no exercise &#39;x99&#39;" in r.text or "no exercise 'x99'" in r.text
    assert 'href="/x/x06?run=C2K21A10K2' in r.text


def test_a_malformed_paste_is_a_400_page_with_the_row(client):
    r = client.post("/x/grade", data={"answers": "ada,x06\n"})
    assert r.status_code == 400
    assert "The pasted answers: row 1 has 2 columns" in r.text


def test_an_oversized_paste_is_refused_with_a_sentence(client):
    r = client.post("/x/grade", data={"answers": "a,x06,K$\n" * 70_000})
    assert r.status_code == 413 and "more than this page takes" in r.text
