"""hugepage_vma_revalidate (mm/khugepaged.c, v4.8) and v1's inline copy of its checks.

Andrea's checks, in order: khugepaged_test_exit, find_vma and its NULL test, the
hstart/hend range test, hugepage_vma_check.  The same steps serve the v4.8 function (a
failing check returns its SCAN code) and v1's first revalidation after down_read (a failing
check jumps to ``out``, which does up_write on a read hold).

Departure: the function returns 0 on success, as in v4.8 (numerically SCAN_FAIL).
"""

from __future__ import annotations

from collections.abc import Callable

from engine import fixes
from engine.kernel import mm
from engine.kernel.vma import HPAGE_PMD_SIZE, hpage_range
from engine.program import Program, Step, Value, line
from engine.programs.khugepaged import later
from engine.programs.khugepaged.code import CHECK_EXIT, CHECK_RANGE, CHECK_VMA, CHECK_VMA_NULL, Code
from engine.state import Ctx

Fail = Callable[[Ctx, str], None]


def scan_result(c: Ctx, function: str, code: str | int) -> None:
    text = "0 (the vma is fine)" if code == 0 else code
    c.say(f"{function} returns {text}", kind="scan-result", code=None if code == 0 else str(code))


def check_steps(code: Code, fail: Fail, caller: str, on_fail: Callable[[str], str],
                check: Program | None = None) -> list[Step]:
    """Andrea's checks as steps.  ``fail`` is how the code at hand gives up and ``on_fail``
    writes that in C; ``code.checks`` says which checks the variant has.  ``check`` is
    v5.4's hugepage_vma_check, a function of its own, for code with ``file_thp``."""
    vmap = "*vmap = " if code.returns_vma else ""
    null = f" if (!vma) {on_fail('SCAN_VMA_NULL')}" if CHECK_VMA_NULL in code.checks else ""

    @line(f"if (unlikely(khugepaged_test_exit(mm))) {on_fail('SCAN_ANY_PROCESS')}",
          "{me} checks that the process is not exiting (mm_users != 0)")
    def test_exit(c: Ctx) -> None:
        if c.get("mm").users == 0:
            fail(c, "SCAN_ANY_PROCESS")

    @line(f"{vmap}vma = find_vma(mm, address);{null}", "{me} looks up the first vma ending above the address",
          shows=("vma",))
    def find(c: Ctx) -> None:
        c["vma"] = mm.find_vma(c, c["address"], f"find_vma, called from {caller}", fixes.EXIT_TEST)
        if CHECK_VMA_NULL in code.checks and c["vma"] is None:
            fail(c, "SCAN_VMA_NULL")

    @line("hstart = ALIGN(vma->vm_start, HPAGE_PMD_SIZE); hend = vma->vm_end & HPAGE_PMD_MASK; "
          f"if (address < hstart || address + HPAGE_PMD_SIZE > hend) {on_fail('SCAN_ADDRESS_RANGE')}",
          "{me} checks that the vma covers the whole 2 MiB range", shows=("address", "hstart", "hend"))
    def address_range(c: Ctx) -> None:
        hstart, hend = hpage_range(mm.deref(c, c["vma"], "vm_start", caller, fixes.VMA_NULL))
        c["hstart"], c["hend"] = hstart, hend
        if c["address"] < hstart or c["address"] + HPAGE_PMD_SIZE > hend:
            fail(c, "SCAN_ADDRESS_RANGE")

    @line(f"if (!hugepage_vma_check(vma)) {on_fail('SCAN_VMA_CHECK')}",
          "{me} checks that the vma may hold a huge page (anonymous, THP allowed)", shows=("vma",))
    def v48_check(c: Ctx) -> None:
        if not mm.hugepage_vma_check(c, mm.deref(c, c["vma"], "vm_flags", "hugepage_vma_check", fixes.VMA_NULL)):
            fail(c, "SCAN_VMA_CHECK")

    vma_check = v48_check if check is None else later.call_check(check, fail, on_fail)
    kept = ((test_exit, CHECK_EXIT in code.checks), (find, True), (address_range, CHECK_RANGE in code.checks),
            (vma_check, CHECK_VMA in code.checks))
    steps = [s for s, is_kept in kept if is_kept]
    return steps + ([later.anon_test(fail, caller, on_fail)] if code.anon_test else [])


def revalidate(code: Code) -> Program:
    """hugepage_vma_revalidate(mm, address[, vmap]): Andrea's four checks, in order."""

    def done(c: Ctx, result: str | int) -> None:
        scan_result(c, "hugepage_vma_revalidate", result)
        c.ret((result, c.locals.get("vma")) if code.returns_vma else result)

    check = later.hugepage_vma_check(code) if code.file_thp else None
    steps = check_steps(code, done, "hugepage_vma_revalidate", lambda scan: f"return {scan};", check)
    steps.append(Step("return 0;", lambda c: done(c, 0)))
    params = ("mm", "address", "vmap") if code.returns_vma else ("mm", "address")
    return Program("hugepage_vma_revalidate", code.kernel, code.variant, params, tuple(steps),
                   doc="Andrea's revalidation after re-taking mmap_sem (docs/model.md#hugepage-vma-revalidate).",
                   callees=(check,) if check else ())


def revalidated(c: Ctx, code: Code, value: Value) -> str | int:
    """Take hugepage_vma_revalidate's return: the result, and the vma if it hands one back."""
    if code.returns_vma:
        value, c["vma"] = value
    return value


def find_pmd(c: Ctx, fail_label: str) -> None:
    """``pmd = mm_find_pmd(mm, address)``, and on NULL ``result = SCAN_PMD_NULL`` and a jump
    to ``fail_label``."""
    c["pmd"] = mm.mm_find_pmd(c, c["address"])
    if c["pmd"] is None:
        c["result"] = "SCAN_PMD_NULL"
        c.say("mm_find_pmd returns NULL: result = SCAN_PMD_NULL", kind="scan-result", code="SCAN_PMD_NULL")
        c.goto(fail_label)


def pmd_changed(c: Ctx) -> bool:
    """``mm_find_pmd(mm, address) != pmd``, saying so when it is."""
    now = mm.mm_find_pmd(c, c["address"])
    if now is not None and now.addr == c["pmd"].addr:
        return False
    c.say(f"mm_find_pmd returns {now or 'NULL'} != pmd {c['pmd']}: give up")
    return True


def v1_first_checks(code: Code) -> list[Step]:
    """v1: the old down_write checks, now after down_read, failing to ``out`` (up_write)."""

    def fail(c: Ctx, result: str) -> None:
        c["result"] = result
        scan_result(c, "collapse_huge_page", result)
        c.goto("out")

    @line("pmd = mm_find_pmd(mm, address); if (!pmd) { result = SCAN_PMD_NULL; goto out; }",
          "{me} finds the pmd for the address")
    def find_pmd(c: Ctx) -> None:
        c["pmd"] = mm.mm_find_pmd(c, c["address"])
        if c["pmd"] is None:
            fail(c, "SCAN_PMD_NULL")

    return check_steps(code, fail, "collapse_huge_page", lambda scan: f"{{ result = {scan}; goto out; }}") + [find_pmd]
