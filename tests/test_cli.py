import json
import subprocess
import sys

import pytest

from app.cli import main


def mmlock(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], capture_output=True, text=True)


def test_list_names_every_scenario(capsys, scenarios):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert all(sid in out for sid in scenarios)


def test_list_json(capsys, scenarios):
    assert main(["list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["id"] for r in rows} == set(scenarios)


def test_show_prints_the_report_and_the_reused_object(capsys):
    assert main(["show", "realloc-file", "--variant", "v1-pointer-check", "--schedule", "K16A10C2K9"]) == 0
    out = capsys.readouterr().out
    assert "VIOLATION null-deref at step 37 (K)" in out
    assert "vma=0xffff8800a1c4e000(gen 1, now gen 2)" in out
    assert "would have been caught by: hugepage_vma_check()" in out


def test_show_json_has_the_documented_shape(capsys):
    assert main(["show", "realloc-file", "-v", "v1-pointer-check", "-s", "K16A10C2K9", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) >= {"scenario", "variant", "schedule", "steps", "threads", "enabled", "violations"}
    assert data["schedule"] == "K16A10C2K9" and data["steps"] == 37 and data["enabled"] == []
    assert set(data["threads"][0]) >= {"id", "name", "status", "function", "line", "waiting_for", "result"}
    assert data["violations"][0]["kind"] == "null-deref" and data["violations"][0]["thread"] == "K"


def test_show_accepts_a_file_path(capsys, scenarios):
    assert main(["show", str(scenarios["exit"].path)]) == 0
    assert "The process exits" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["show", "nope"], "no scenario 'nope' in the catalog"),
    (["show", "exit", "-v", "v9"], "unknown variant 'v9'"),
    (["show", "exit", "-s", "KQ"], "is not a thread id"),
    (["show", "exit", "-s", "K99"], "step 19: thread K (khugepaged) is blocked"),
    (["show", "/no/such.toml"], "cannot read the file"),
    (["explore", "exit", "--goal", "fire"], "not valid"),
    (["explore", "exit", "--goal", "SCAN_EXCEED_NONE_PTE"], "no thread of exit under v4.8 can return"),
    (["explore", "exit", "--goal", "result:B=0"], "exit under v4.8 has no thread B"),
    (["explore", "exit", "--max-states", "0"], "--max-states must be at least 1"),
    (["frobnicate"], "invalid choice"),
    (["show", "exit", "-v", "v4.8[checks=exit]"], "unknown check 'exit'; the checks are exit-test"),
    (["explore", "exit", "--goal", "final(pmd[X])=flat"], "a pmd holds none, table, huge"),
    (["explore", "rwsem-basics", "--goal", "final(pmd[X])=huge"], "has no khugepaged thread"),
    (["serve", "--no-catalog"], "--no-catalog needs --scenarios DIR"),
    (["serve", "--base-url", "evil"], "--base-url 'evil': write http://host"),
    (["serve", "--frame-ancestors", "https://a.example; script-src *"], "a.example; is not a CSP source"),
    (["serve", "--frame-ancestors", " "], "nothing is not a CSP source"),
])
def test_bad_input_exits_2_with_one_sentence(args, message):
    result = mmlock(*args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_check_reports_each_file(tmp_path, scenarios):
    bad = tmp_path / "bad.toml"
    bad.write_text("id = 3\n")
    result = mmlock("check", str(scenarios["exit"].path), str(bad))
    assert result.returncode == 2
    assert "exit.toml: ok" in result.stdout and "bad.toml: id (line 1)" in result.stderr


def test_check_passes_the_catalog(scenarios):
    assert mmlock("check", *[str(s.path) for s in scenarios.values()]).returncode == 0


def test_explore_finds_the_fewest_preemption_counterexample(capsys):
    assert main(["explore", "realloc-file", "-v", "v1-pointer-check", "--goal", "null-deref", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == "violation" and data["schedule"] == "K16A10C2K9"
    assert data["preemptions"] == 0 and data["shortest_steps"] == 35 and data["steps"] == 37


def test_explore_from_a_state_keeps_its_steps(capsys):
    assert main(["explore", "realloc-file", "-v", "v1-pointer-check", "--goal", "null-deref", "--from", "C2"]) == 0
    out = capsys.readouterr().out
    assert "goal null-deref, from step 2 (C2): violation" in out
    assert "schedule C2K3AK19A9K (35 steps, 1 preemption;" in out


def test_explore_from_a_state_that_cannot_be_reached_is_exit_2_with_the_step():
    run = mmlock("explore", "realloc-file", "--from", "K99")
    assert run.returncode == 2 and "--from K99: step 19: thread K (khugepaged) is blocked" in run.stderr
    assert "Traceback" not in run.stderr


def test_explore_proves_v48_safe(capsys):
    assert main(["explore", "realloc-file", "-v", "v4.8"]) == 0
    out = capsys.readouterr().out
    assert "safe" in out and "states" in out


def _declaring(tmp_path, scenarios, old: str, new: str) -> str:
    src = scenarios["realloc-file"].path.read_text()
    assert old in src
    path = tmp_path / "claims.toml"
    path.write_text(src.replace(old, new))
    return str(path)


def test_check_refuses_a_false_witness_naming_the_variant(tmp_path, scenarios):
    path = _declaring(tmp_path, scenarios, '"v4.8" = {}', '"v4.8" = { "null-deref" = "K5" }')
    result = mmlock("check", path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "v4.8: the declaration is false: the witness K5 for null-deref ends after 5 steps without a violation" \
        in result.stderr
    assert "null-deref is declared but no schedule reaches it" in result.stderr


def test_check_refuses_a_variant_declared_safe_that_is_not(tmp_path, scenarios):
    path = _declaring(tmp_path, scenarios, '"v1-pointer-check" = { "null-deref" = "K16A10C2K9", "rwsem-imbalance" = "AK3A9K5" }',
                      '"v1-pointer-check" = {}')
    result = mmlock("check", path)
    assert result.returncode == 2
    assert "v1-pointer-check: the declaration is false: null-deref is reachable too" in result.stderr


def test_check_says_unverified_when_the_bound_stops_a_search(tmp_path, scenarios):
    result = mmlock("check", "--max-states", "10", str(scenarios["realloc-file"].path))
    assert result.returncode == 0 and "unverified (bound reached): " in result.stdout and "v4.8" in result.stdout


def test_a_scenario_without_declarations_loads_checks_and_explores(tmp_path, scenarios):
    src = scenarios["realloc-file"].path.read_text()
    path = tmp_path / "undeclared.toml"
    path.write_text(src.partition("[expect]")[0])
    assert "no declarations" in mmlock("check", str(path)).stdout
    explored = mmlock("explore", str(path), "--variant", "v1-pointer-check", "--goal", "null-deref")
    assert explored.returncode == 0 and "violation" in explored.stdout


def test_a_check_set_variant_is_shown_and_explored_under_its_canonical_id():
    shown = mmlock("show", "realloc-file", "-v", "v4.8[checks=pmd-recheck,vma-check]")
    assert shown.returncode == 0 and "under v4.8[checks=vma-check,pmd-recheck], step 0" in shown.stdout
    found = mmlock("explore", "realloc-file", "-v", "v4.8[checks=address-range]", "--goal", "any")
    assert found.returncode == 0
    assert "realloc-file under v4.8[checks=address-range], goal any: violation" in found.stdout


# -- eras --------------------------------------------------------------------------------------
def test_show_defaults_to_the_eras_fixed_kernel_and_v5_8_names_the_lock_mmap_lock(capsys):
    assert main(["show", "realloc-file-exec", "-s", "ABK3"]) == 0
    out = capsys.readouterr().out
    assert "under v5.8, step 5" in out and "  mmap_lock: write by A; queue: B (read), K (read)" in out
    assert "collapse_huge_page: mmap_read_lock(mm);" in out and "mmap_sem" not in out
    assert main(["show", "realloc-file", "-s", "AK3"]) == 0
    old = capsys.readouterr().out
    assert "under v4.8" in old and "  mmap_sem: " in old and "mmap_lock" not in old


def test_explore_finds_v5_4s_null_deref_and_proves_v5_8_safe(capsys):
    assert main(["explore", "realloc-file-exec", "--variant", "v5.4"]) == 0
    assert "schedule ABK3A9B7K26 (47 steps, 0 preemptions" in capsys.readouterr().out
    assert main(["explore", "realloc-file-exec", "--variant", "v5.8", "--goal", "any"]) == 0
    assert "goal any: safe" in capsys.readouterr().out


@pytest.mark.parametrize("scenario, vid, era", [("realloc-file-exec", "v4.8", "v5.4"), ("realloc-file", "v5.4", "v4.8")])
def test_a_variant_of_another_era_is_refused_naming_the_eras_variants(capsys, scenario, vid, era):
    assert main(["show", scenario, "--variant", vid]) == 2
    err = capsys.readouterr().err
    assert f"a {era} scenario runs only the {era} era's variants" in err


def test_show_takes_run_until_directives_and_prints_the_canonical_schedule(capsys):
    assert main(["show", "mremap-move", "-v", "v1-pointer-check", "--schedule", "C$ K>down_write A$ K$"]) == 0
    assert "step 52 of schedule C2K21A27K2" in capsys.readouterr().out


def test_a_directive_that_cannot_be_met_is_exit_2_with_its_sentence():
    run = mmlock("show", "realloc-file", "--schedule", "K$")
    assert run.returncode == 2 and "K$: K blocked at step 18" in run.stderr and "Traceback" not in run.stderr


def test_check_compiles_a_walkthrough_and_names_a_broken_stop(tmp_path, capsys):
    from engine.walkthroughs.walkthrough import DATA
    good = DATA / "w3.toml"
    assert main(["check", str(good)]) == 0
    assert f"{good}: ok (w3: " in capsys.readouterr().out
    bad = tmp_path / "w3.toml"
    bad.write_text(good.read_text("utf-8").replace('fact = "rwsem"', 'fact = "nowhere"', 1), "utf-8")
    assert main(["check", str(bad)]) == 2
    assert "docs/model.md has no anchor 'nowhere'" in capsys.readouterr().err
