"""No accepted scenario crashes the engine: scenarios generated within the loader's limits
(threads, VMAs, ptes, programs and their arguments, options) load, and a small search of
each runs to an answer; anything but a clear bad-input error is a bug."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
from engine.errors import ModelError
from engine.explore import EngineModel, explore, parse_goal
from engine.scenario import ScenarioSpec
from engine.variants import era_variants

M = 0x200000
BASE = 0x7f0000000000
SLOTS = [BASE + n * M for n in range(4)]
ADDRESSES = st.sampled_from(SLOTS + [s + 0x1000 * k for s in SLOTS for k in (1, 3, 256)])
LENGTHS = st.sampled_from([0x1000, 0x100000, M, 2 * M])
FLAGS = st.sampled_from([["VM_READ", "VM_WRITE"], ["VM_READ"], ["VM_READ", "VM_SHARED", "VM_WRITE"],
                         ["VM_READ", "VM_WRITE", "VM_HUGEPAGE"], ["VM_READ", "VM_WRITE", "VM_NOHUGEPAGE"], []])


@st.composite
def vmas(draw):
    starts = sorted(draw(st.sets(st.sampled_from(SLOTS), min_size=1, max_size=4)))
    out = []
    for start in starts:
        end = start + draw(st.sampled_from([0x10000, M // 2, M]))
        file = draw(st.sampled_from([None, None, "/data/file.bin"]))
        out.append({"start": start, "end": end, "flags": draw(FLAGS), "anon_vma": draw(st.booleans()),
                    **({"file": file} if file else {})})
    return out


def _call(draw, program: str) -> dict:
    args = {
        "collapse_huge_page": lambda: {"address": draw(st.sampled_from(SLOTS)), "referenced": draw(st.sampled_from([0, 300, 511]))},
        "vm_munmap": lambda: {"start": draw(ADDRESSES), "len": draw(LENGTHS)},
        "mmap_region": lambda: {"addr": draw(st.sampled_from(SLOTS)), "len": draw(LENGTHS),
                                **({"file": "/data/other.bin", "flags": ["VM_READ", "VM_SHARED"]} if draw(st.booleans()) else {})},
        "mremap": lambda: {"addr": draw(st.sampled_from(SLOTS)), "old_len": M, "new_len": draw(st.sampled_from([0x1000, M // 2]))},
        "mremap_to": lambda: {"addr": draw(st.sampled_from(SLOTS)), "old_len": M, "new_len": M,
                              "new_addr": draw(st.sampled_from(SLOTS + [BASE + (1 << 30)]))},
        "madvise": lambda: {"start": draw(ADDRESSES), "len": draw(LENGTHS)},
        "handle_mm_fault": lambda: {"address": draw(ADDRESSES), "data": "x", "write": draw(st.booleans())},
        "mmput": lambda: {},
        "show_maps": lambda: {},
        "khugepaged_scan_mm_slot": lambda: {"pages": 4096},
        "get_user_pages_fast": lambda: {"address": draw(ADDRESSES), "write": draw(st.booleans()), "data": "d"},
    }[program]()
    return {"program": program, "args": args}


@st.composite
def scenarios(draw):
    spaces = draw(vmas())
    anon = [v for v in spaces if "file" not in v and v["end"] - v["start"] == M]
    threads = []
    tables = []
    if anon and draw(st.booleans()):
        v = draw(st.sampled_from(anon))
        tables.append({"address": v["start"], "present": 300, "young": 200, "writable": 300,
                       "ptes": [{"address": v["start"], "kind": "present", "data": "a"},
                                {"address": v["start"] + 0x1000, "kind": "swap", "data": "b", "io": "C"}]})
        if draw(st.booleans()):
            threads.append({"id": "K", "name": "khugepaged", "program": "collapse_huge_page",
                            "args": {"address": v["start"], "referenced": draw(st.sampled_from([0, 300]))}})
        else:
            threads.append({"id": "K", "name": "khugepaged", "program": "khugepaged_do_scan",
                            "args": {"address": v["start"], "passes": draw(st.sampled_from([1, 2]))}})
        threads.append({"id": "C", "name": "swap-in I/O", "program": "end_swap_bio_read"})
    programs = ["vm_munmap", "mmap_region", "mremap", "mremap_to", "madvise", "handle_mm_fault", "mmput", "show_maps",
                "khugepaged_scan_mm_slot", "get_user_pages_fast"]
    for tid in draw(st.lists(st.sampled_from("ABDE"), min_size=2 - len(threads) if len(threads) < 2 else 1,
                             max_size=3, unique=True)):
        calls = [_call(draw, p) for p in draw(st.lists(st.sampled_from(programs), min_size=1, max_size=2))]
        thread = {"id": tid, "name": f"thread {tid}"}
        thread.update(calls[0] if len(calls) == 1 else {"calls": calls})
        threads.append(thread)
    options = {"thp": draw(st.sampled_from(["always", "madvise"])), "quarantine": draw(st.booleans()),
               "fault_huge": draw(st.sampled_from([True, False, "succeeds", "fails"]))}
    return {"id": "generated", "version": 1, "title": "t", "question": "q", "kernel": "v4.8", "seed": "-",
            "note": "-", "options": options, "vmas": spaces, "tables": tables, "threads": threads[:5]}


def _load(data: dict) -> engine.Scenario | None:
    """The scenario, or None when the loader refuses it with a clear error (a fine answer)."""
    from engine.scenario import Scenario
    from engine.initial import build_initial
    try:
        spec = ScenarioSpec.model_validate(data)
        build_initial(spec, "v4.8")
    except (ValueError, ModelError):
        return None
    return Scenario(spec, None, "generated")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(scenarios(), st.sampled_from(era_variants("v4.8")))
def test_every_accepted_scenario_explores_without_crashing(data, variant):
    scenario = _load(data)
    if scenario is None:
        return
    answer = explore(EngineModel(scenario.initial(variant)), parse_goal("any"), max_states=400)
    assert answer.verdict in ("violation", "safe", "incomplete")
    if answer.is_found:
        final = engine.replay(scenario.initial(variant), answer.schedule).final
        assert final.violation is not None and final.violation.kind == answer.violation.kind
