"""The slab table's rows: the range apart from the mapping (so the range never wraps), and
what a freed object still holds marked as stale."""

from __future__ import annotations

import engine
from app.views.memory import slab_rows
from engine.schedule import replay

REALLOC = engine.catalog()["realloc-file"]


def _rows(schedule: str):
    run = replay(REALLOC.initial("v1-pointer-check"), tuple(engine.parse_schedule(schedule)))
    return slab_rows(run.final, None)[0]


def test_a_row_gives_the_range_and_the_mapping_apart():
    reused, libc, never, _ = _rows("K16A10C2K9")
    assert (reused.range, reused.mapping, reused.stale, reused.gen) == (
        "[0x7f3a4a000000, 0x7f3a4a200000)", "file /home/user/data.bin", False, 2)
    assert (libc.range, libc.mapping) == ("[0x7f3a50000000, 0x7f3a50200000)", "file /usr/lib/libc.so.6")
    assert (never.range, never.mapping, never.contents) == ("", "never used", "never used")
    assert reused.contents == f"{reused.range} {reused.mapping}"       # the one-line form, for the presenter


def test_a_freed_object_shows_its_old_contents_as_stale():
    freed = _rows("K16A8")[0]                  # A's munmap has freed V1's object
    assert freed.state == "free" and freed.stale and freed.mapping == "anon"
    assert freed.contents.endswith("anon (stale contents)")
