"""mmlock check on exercise files, and mmlock grade on a class's CSV."""

import json
import subprocess
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "engine" / "exercises" / "data"


def mmlock(*args: str, cache: Path) -> subprocess.CompletedProcess:
    env = {"MMLOCK_CACHE_DIR": str(cache), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "app.cli", *args], capture_output=True, text=True, env=env)


CSV = """student,exercise,answer
ada,x06,C$ K>down_write A$ K$
bob,x06,C$ K$ A$
cy,x04,equal
dee,x04,different
eve,x06,/s/realloc-file?v=v1-pointer-check&run=C2K21A10K2
fay,x06,/s/realloc-file?v=v4.8&run=C2K21A10K2
gus,x99,K$
hal,x06,/x/x06?run=C2K21A10K2&seed=7,3
ivy,x06,C$ K>down_write A$ K$,7
"""


def test_check_proves_an_exercise_sound_and_names_an_unsound_part(tmp_path):
    ok = mmlock("check", str(DATA / "x06.toml"), cache=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "x06.toml: ok (x06: x06 goal)" in ok.stdout
    bad = tmp_path / "x06.toml"
    bad.write_text((DATA / "x06.toml").read_text().replace('"C$ K$ A$", ', '"C$ K>down_write A$ K$", '))
    out = mmlock("check", str(bad), cache=tmp_path)
    assert out.returncode == 2
    assert "part x06: the wrong answer 'C$ K>down_write A$ K$' passes" in out.stderr
    assert "UNSOUND" in out.stdout


def test_grade_prints_a_line_per_row_and_a_summary(tmp_path):
    answers = tmp_path / "answers.csv"
    answers.write_text(CSV)
    out = mmlock("grade", str(answers), cache=tmp_path)
    assert out.returncode == 0, out.stderr
    rows = [line.split("\t") for line in out.stdout.splitlines()[:-1]]
    verdicts = {r[0]: r[2] for r in rows}
    assert verdicts == {"ada": "PASS", "bob": "FAIL", "cy": "PASS", "dee": "FAIL", "eve": "PASS",
                        "fay": "FAIL", "gus": "FAIL", "hal": "FAIL", "ivy": "PASS"}
    reasons = {r[0]: r[3] for r in rows}
    assert "runs realloc-file under v1-pointer-check" in reasons["fay"]
    assert "no exercise 'x99'" in reasons["gus"]
    assert "the link is of instance 7 of the exercise; this answer is for instance 3" in reasons["hal"]
    assert out.stdout.splitlines()[-1] == "9 answers: 4 passed, 5 failed"


def test_grade_writes_gradescope_results_and_json(tmp_path):
    answers = tmp_path / "answers.csv"
    answers.write_text(CSV)
    out = mmlock("grade", str(answers), "--format", "gradescope", cache=tmp_path)
    results = json.loads(out.stdout)
    assert results["score"] == 4
    assert {"name", "score", "max_score", "output"} <= set(results["tests"][0])
    assert results["tests"][0]["name"] == "x06 (ada)" and "/x/x06?" in results["tests"][0]["output"]
    rows = json.loads(mmlock("grade", str(answers), "--json", cache=tmp_path).stdout)["rows"]
    assert rows[0]["pass"] and rows[0]["link"].startswith("/x/x06?")
    assert rows[-1]["pass"] and rows[-1]["link"].endswith("&seed=7")


def test_grade_refuses_a_malformed_csv_with_a_sentence(tmp_path):
    answers = tmp_path / "answers.csv"
    answers.write_text("ada,x06\n")
    out = mmlock("grade", str(answers), cache=tmp_path)
    assert out.returncode == 2
    assert out.stderr.strip() == (f"mmlock: {answers}: row 1 has 2 columns; each row is student, exercise, "
                                  "answer and, optionally, the student's seed")
