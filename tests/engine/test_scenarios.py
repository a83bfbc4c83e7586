from pathlib import Path

import pytest

import engine
from engine.errors import ScenarioError

CATALOG_FILES = sorted((Path(engine.__file__).parent / "scenarios").glob("*.toml"))


def witnesses(scenarios):
    for sid, s in sorted(scenarios.items()):
        for variant, outcomes in s.spec.expect.items():
            for key, schedule in outcomes.items():
                yield sid, variant, key, schedule


def test_catalog_has_the_scenarios_the_issue_names(scenarios):
    assert {"realloc-file", "realloc-anon", "realloc-anon-kasan", "munmap-reuse-above", "mremap-shrink",
            "madvise-nohugepage", "exit", "swapin-retry-pmd", "rwsem-basics", "munmap-nothing-above",
            "pmd-became-huge"} <= set(scenarios)


def test_every_witness_replays_to_its_declared_violation(scenarios):
    count = 0
    for sid, variant, key, schedule in witnesses(scenarios):
        final = engine.replay(scenarios[sid].initial(variant), engine.parse_schedule(schedule)).final
        kind, _, obj = key.partition(":")
        assert final.violation is not None, (sid, variant, key)
        assert (final.violation.kind, final.violation.object) == (kind, obj or None), (sid, variant, key)
        assert final.violation.step == len(engine.parse_schedule(schedule))
        count += 1
    assert count >= 20


def test_the_catalog_declares_every_variant_of_each_scenarios_era(scenarios):
    for s in scenarios.values():
        assert set(s.spec.expect) == set(s.variant_ids), s.id
    assert {s.spec.kernel for s in scenarios.values()} == set(engine.eras.ERAS)


def test_a_file_may_leave_variants_out_so_new_variants_never_break_it(tmp_path):
    path = broken(tmp_path, '"v4.8-no-pmd-recheck" = {}\n', "")
    assert "v4.8-no-pmd-recheck" not in engine.load(path).spec.expect


def test_a_link_digest_covers_its_own_variants_only(scenarios):
    s = scenarios["realloc-file"]
    assert s.link_digest("v4.8") == s.link_digest("v4.8", "v4.8") != s.link_digest("v1-pointer-check")
    assert s.link_digest("v1-pointer-check", "v4.8") == s.link_digest("v4.8", "v1-pointer-check")
    assert s.ref("v4.8").digest == s.link_digest("v4.8") != s.digest


def test_each_eras_fixed_kernel_is_declared_safe_everywhere(scenarios):
    assert all(s.spec.expect[s.era.baseline] == {} for s in scenarios.values())
    assert {s.era.baseline for s in scenarios.values()} == {"v4.8", "v5.8"}


def test_witnesses_are_in_canonical_form(scenarios):
    for _, _, _, schedule in witnesses(scenarios):
        assert engine.format_schedule(engine.parse_schedule(schedule)) == schedule


def test_every_scenario_names_its_case_seed_and_assumptions(scenarios):
    for s in scenarios.values():
        assert s.spec.seed and s.spec.note and s.spec.case


def test_digest_changes_when_the_file_changes(tmp_path):
    src = CATALOG_FILES[0].read_text()
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text(src)
    b.write_text(src.replace("version = 1", "version = 2"))
    assert engine.load(a).digest != engine.load(b).digest
    assert engine.load(a).digest == engine.load(CATALOG_FILES[0]).digest


def broken(tmp_path, old: str, new: str) -> Path:
    src = (Path(engine.__file__).parent / "scenarios" / "realloc-file.toml").read_text()
    assert old in src
    path = tmp_path / "broken.toml"
    path.write_text(src.replace(old, new, 1))
    return path


def test_unknown_program_names_file_field_and_line(tmp_path):
    path = broken(tmp_path, 'program = "mmap_region"', 'program = "mmap_regoin"')
    with pytest.raises(ScenarioError) as e:
        engine.load(path)
    text = str(e.value)
    assert str(path) in text and "threads.1.program" in text and "mmap_regoin" in text
    line = path.read_text().splitlines().index('program = "mmap_regoin"') + 1
    assert f"(line {line})" in text


@pytest.mark.parametrize("old, new, message", [
    ("version = 1", "version = = 1", r"broken.toml: invalid TOML: .*line 3"),
    ('"v4.8-no-pmd-recheck" = {}\n', '"v4.9" = {}\n', "unknown variants.*v4.9"),
    ('id = "A"', 'id = "AA"', "threads.1.id.*one letter"),
    ("quarantine = false", "quarantine = false\nquarantin = true", "options.quarantin"),
    ('io = "C"', 'io = "B"', "broken.toml: thread C completes a swap-in read, but no swap pte names it"),
], ids=["bad-toml-names-the-line", "unknown-variant-is-named", "thread-id-must-be-one-letter",
        "unknown-field-is-rejected", "io-thread-without-its-page"])
def test_malformed_scenario_error_names_what_is_wrong(tmp_path, old, new, message):
    with pytest.raises(ScenarioError, match=message):
        engine.load(broken(tmp_path, old, new))


def test_duplicate_ids_in_a_folder_name_both_files(tmp_path):
    src = CATALOG_FILES[0].read_text()
    (tmp_path / "a.toml").write_text(src)
    (tmp_path / "b.toml").write_text(src)
    with pytest.raises(ScenarioError, match="b.toml.*already used by.*a.toml"):
        engine.load_dir(tmp_path)


def test_unknown_variant_is_an_error():
    with pytest.raises(engine.VariantError, match="unknown variant 'v9'"):
        engine.variant("v9")


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path):
    src = (Path(engine.__file__).parent / "scenarios" / "realloc-file.toml").read_text()
    path = tmp_path / "huge.toml"
    path.write_text(src + "\n# " + "x" * (70 * 1024) + "\n")
    with pytest.raises(ScenarioError, match=r"huge.toml: the file is 72 KiB; a scenario file is at most 64 KiB"):
        engine.load(path)


@pytest.mark.parametrize("old, new, field", [
    ('title = "Same object, now a file mapping"', f'title = "{"t" * 121}"', "title"),
    ('data = "hello"', f'data = "{"d" * 65}"', "tables.0.ptes.0.data"),
    ('name = "khugepaged"', f'name = "{"n" * 61}"', "threads.0.name"),
])
def test_text_fields_have_lengths_and_an_over_long_one_is_named(tmp_path, old, new, field):
    with pytest.raises(ScenarioError, match=rf"{field} .*at most"):
        engine.load(broken(tmp_path, old, new))
