"""The ``mmlock`` command: the engine from a terminal, for graders, scripts and people.

    mmlock list [--json]
    mmlock show SCENARIO [--variant V] [--schedule S] [--json]
    mmlock check [FILE...]
    mmlock grade FILE.csv [--json | --format gradescope]
    mmlock explore SCENARIO [--variant V] [--goal G] [--from SCHEDULE] [--max-preemptions N] [--max-states N] [--json]
    mmlock serve [--host H] [--port P] [--scenarios DIR [--no-catalog]] [--exercises DIR] [--base-url URL] [--workers N] [--frame-ancestors SOURCES]

SCENARIO is a catalog id or a path to a .toml file; V is a named variant or any subset of
v4.8's checks, 'v4.8[checks=vma-check,pmd-recheck]' (quoted for the shell).  Bad input exits 2 with one sentence
on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import sys
import time
from pathlib import Path

import engine
from app.cli_exercises import add_grade, check_exercises, check_walkthroughs, is_exercise_file, is_walkthrough_file
from app.views.format import hexaddr, value_text
from engine.eras import lock_name
from engine.errors import ModelError
from engine.kernel.pgtable import HUGE, TABLE
from engine.scenario import CATALOG

VARIANT_HELP = ("a named variant of the scenario's era (v4.8, v1-pointer-check, ...; v5.4, v5.8) or "
                "'v4.8[checks=vma-check,pmd-recheck]'; default: the era's fixed kernel, v4.8 or v5.8")
from engine.kernel.ptr import Ptr
from engine.state import State

EXIT_USAGE = 2


class UsageError(Exception):
    """Bad input from the command line: printed as one sentence, exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:
        raise UsageError(f"{self.prog}: {message}")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args_safe(argv)
    if args is None:
        return EXIT_USAGE
    try:
        return args.run(args)
    except (UsageError, ModelError, ValueError) as e:
        print(f"mmlock: {e}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return 0


class _Root(_Parser):
    def parse_args_safe(self, argv: list[str] | None) -> argparse.Namespace | None:
        try:
            args = self.parse_args(argv)
        except UsageError as e:
            print(f"mmlock: {e}", file=sys.stderr)
            return None
        if not hasattr(args, "run"):
            self.print_help(sys.stderr)
            return None
        return args


def _parser() -> _Root:
    root = _Root(prog="mmlock", description="Step through Linux mm locking races one kernel line at a time.")
    sub = root.add_subparsers(parser_class=_Parser)

    p = sub.add_parser("list", help="list the scenario catalog")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_list)

    p = sub.add_parser("show", help="replay a schedule and print the state")
    p.add_argument("scenario")
    p.add_argument("--variant", "-v", default=None, type=_variant_id, help=VARIANT_HELP)
    p.add_argument("--schedule", "-s", default="",
                   help="thread ids in run-length form (K16A10C2K9), or run-until directives ('C$ K>down_write A$')")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_show)

    p = sub.add_parser("check", help="validate scenario, exercise and walkthrough files: verify what scenarios "
                                     "declare, prove exercises sound, compile every walkthrough stop (no file: "
                                     "the built-in ones)")
    p.add_argument("files", nargs="*", type=Path)
    p.add_argument("--max-states", type=int, default=200_000, help="bound of each search (default 200000)")
    p.add_argument("--seconds", type=float, default=30.0, help="time budget of each search (default 30)")
    p.set_defaults(run=cmd_check)

    p = sub.add_parser("explore", help="search for a bad schedule or prove a variant safe")
    p.add_argument("scenario")
    p.add_argument("--variant", "-v", default=None, type=_variant_id, help=VARIANT_HELP)
    p.add_argument("--goal", "-g", default="any",
                   help="any, a violation kind, a SCAN_* code, returned(FUNC)=CODE, or result(T)=V & final(PATH)=V")
    p.add_argument("--max-preemptions", type=int, default=None)
    p.add_argument("--max-states", type=int, default=200_000)
    p.add_argument("--seconds", type=float, default=30.0, help="time budget (default 30)")
    p.add_argument("--from", dest="start", default="", metavar="SCHEDULE",
                   help="search from the state this schedule reaches; answers still run from step 0")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_explore)

    add_grade(sub)

    p = sub.add_parser("serve", help="serve the web app")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--scenarios", type=Path, default=None, help="a folder of extra scenario files")
    p.add_argument("--no-catalog", action="store_true", help="serve only the files in --scenarios (and --exercises)")
    p.add_argument("--exercises", type=Path, default=None, help="a folder of extra exercise files")
    p.add_argument("--base-url", default="", help="the public address, for share links (http://host[:port][/path])")
    p.add_argument("--workers", type=int, default=1, help="server processes (each with its own search workers)")
    p.add_argument("--frame-ancestors", default="'self'",
                   help="who may frame the /embed/ pages, as CSP sources: \"'self' https://course.example.edu\"")
    p.set_defaults(run=cmd_serve)
    return root


# -- scenario lookup ---------------------------------------------------------------------
def resolve(name: str) -> engine.Scenario:
    """A catalog id, or a path to a .toml file."""
    if name.endswith(".toml") or "/" in name:
        return engine.load(Path(name))
    scenarios = engine.catalog()
    if name not in scenarios:
        raise UsageError(f"no scenario {name!r} in the catalog; known: {', '.join(sorted(scenarios))}")
    return scenarios[name]


def _variant_id(text: str) -> str:
    """The canonical id of the variant ``text`` names (argparse's type for --variant)."""
    try:
        return engine.variant(text).id
    except ModelError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _of_era(scenario: engine.Scenario, args: argparse.Namespace) -> str:
    """--variant, which must be of the scenario's era; by default the era's fixed kernel."""
    args.variant = scenario.variant(args.variant or scenario.era.baseline).id
    return args.variant


def _replay(scenario: engine.Scenario, variant: str, schedule: str) -> engine.Run:
    """The run ``schedule`` (run-length, or run-until directives such as ``C$ K>down_write``)."""
    from engine.directives import compile_run
    return compile_run(engine.replay(scenario.initial(variant), ()), schedule)


# -- commands -----------------------------------------------------------------------------
def cmd_list(args: argparse.Namespace) -> int:
    scenarios = engine.catalog()
    if args.json:
        rows = [{"id": s.id, "title": s.spec.title, "question": s.spec.question, "kernel": s.spec.kernel,
                 "case": s.spec.case, "digest": s.digest,
                 "expect": {v: sorted(k) for v, k in s.spec.expect.items()}} for s in scenarios.values()]
        print(json.dumps(rows, indent=2))
        return 0
    width = max(len(i) for i in scenarios)
    for s in scenarios.values():
        print(f"{s.id:<{width}}  {s.spec.kernel}  {s.spec.title}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    scenario = resolve(args.scenario)
    run = _replay(scenario, _of_era(scenario, args), args.schedule)
    if args.json:
        from app.views import replay_json
        print(json.dumps(replay_json(scenario, args.variant, run), indent=2))
    else:
        print(render(scenario, args.variant, run))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Load each file, then verify every declaration: a false one is an error naming the
    variant and what was found; one a bound stopped is reported as unverified.  Exercise
    files are proven sound (app.cli_exercises); with no file, the whole built-in catalog."""
    from engine.claims import verify
    if args.max_states < 1 or args.seconds <= 0:
        raise UsageError("--max-states must be at least 1 and --seconds more than 0")
    exercises = [f for f in args.files if is_exercise_file(f)]
    walkthroughs = [f for f in args.files if is_walkthrough_file(f)]
    scenario_files = ([f for f in args.files if f not in exercises + walkthroughs] if args.files
                      else sorted(CATALOG.glob("*.toml")))
    failed = 0
    if exercises or walkthroughs or not args.files:
        scenarios = engine.catalog()
        for f in scenario_files:          # exercises may run the files being checked
            try:
                s = engine.load(f)
            except ModelError:
                continue                  # reported below, with the scenario checks
            scenarios[s.id] = s
        if exercises or not args.files:
            failed += check_exercises(exercises, scenarios)
        if walkthroughs or not args.files:
            failed += check_walkthroughs(walkthroughs, scenarios)
    for path in scenario_files:
        try:
            s = engine.load(path)
        except ModelError as e:
            print(str(e), file=sys.stderr)
            failed += 1
            continue
        deadline = time.monotonic() + args.seconds
        claims = verify(s, max_states=args.max_states, out_of_time=lambda: time.monotonic() > deadline)
        false = [c for c in claims if c.status == "false"]
        for c in false:
            print(f"{path}: {c.variant}: the declaration is false: {c.message}", file=sys.stderr)
        unverified = [c.variant for c in claims if c.status == "unverified"]
        declared = f"{len(claims) - len(false) - len(unverified)} of {len(claims)} declarations verified" \
            if claims else "no declarations (expect is not given)"
        more = f"; unverified (bound reached): {', '.join(unverified)}" if unverified else ""
        print(f"{path}: {'FALSE' if false else 'ok'} ({s.id}, {len(s.spec.threads)} threads; {declared}{more})")
        failed += bool(false)
    return EXIT_USAGE if failed else 0


def cmd_explore(args: argparse.Namespace) -> int:
    from app.answers import explore_json
    from engine.explore import check_goal, explore_from, parse_goal
    scenario = resolve(args.scenario)
    goal = parse_goal(args.goal)
    check_goal(goal, scenario.initial(_of_era(scenario, args)), f"{scenario.id} under {args.variant}")
    if args.max_states < 1 or (args.max_preemptions is not None and args.max_preemptions < 0):
        raise UsageError("--max-states must be at least 1 and --max-preemptions at least 0")
    start = time.monotonic()
    deadline = start + args.seconds
    try:
        prefix = _replay(scenario, args.variant, args.start).schedule
    except engine.ScheduleError as e:
        raise UsageError(f"--from {args.start}: {e}") from None
    result = explore_from(scenario.initial(args.variant), prefix, goal, max_states=args.max_states,
                          max_preemptions=args.max_preemptions, out_of_time=lambda: time.monotonic() > deadline)
    answer = explore_json(result, scenario, args.variant, time.monotonic() - start, prefix)
    if args.json:
        print(json.dumps(answer, indent=2))
        return 0
    where = f", from step {len(prefix)} ({answer['from']})" if prefix else ""
    print(f"{scenario.id} under {args.variant}, goal {goal}{where}: {answer['verdict']}")
    print(f"  {answer['states']} states, {answer['transitions']} transitions, {answer['seconds']:.3f} s")
    if answer["schedule"]:
        v = answer["violation"]
        if v:
            print(f"  {v['kind']} at step {v['step']} in thread {v['thread']}: {v['message']}")
        n = answer["preemptions"]
        print(f"  schedule {answer['schedule']} ({answer['steps']} steps, {n} preemption{'' if n == 1 else 's'}; "
              f"the shortest has {answer['shortest_steps']} steps)")
        print(f"  replay:  mmlock show {scenario.id} --variant {shlex.quote(args.variant)} --schedule {answer['schedule']}")
        print(f"  link:    {answer['link']}")
    return 0


_FRAME_SOURCE = re.compile(r"'self'|'none'|https?://(\*\.)?[A-Za-z0-9.-]+(:[0-9]{1,5})?")


def cmd_serve(args: argparse.Namespace) -> int:
    import socket

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from app.main import Settings
    if args.scenarios is not None and not args.scenarios.is_dir():
        raise UsageError(f"--scenarios {args.scenarios}: not a folder")
    if args.no_catalog and args.scenarios is None:
        raise UsageError("--no-catalog needs --scenarios DIR: there would be nothing to serve")
    if args.base_url and not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:[0-9]+)?(/[^\s?#]*)?", args.base_url):
        raise UsageError(f"--base-url {args.base_url!r}: write http://host[:port][/path] or https://…")
    if not 1 <= args.workers <= 16:
        raise UsageError(f"--workers {args.workers}: from 1 to 16 server processes")
    if args.exercises is not None and not args.exercises.is_dir():
        raise UsageError(f"--exercises {args.exercises}: not a folder")
    ancestors = " ".join(args.frame_ancestors.split())
    bad = [w for w in ancestors.split(" ") if not _FRAME_SOURCE.fullmatch(w)] if ancestors else []
    if bad or not ancestors:
        raise UsageError(f"--frame-ancestors {args.frame_ancestors!r}: {bad[0] if bad else 'nothing'} is not a CSP "
                         f"source; write 'self', 'none', https://host[:port] or https://*.host, separated by spaces")
    settings = Settings(str(args.scenarios or ""), args.no_catalog, args.base_url, str(args.exercises or ""),
                        ancestors)
    app = settings.app()                 # loads every scenario: a bad file stops us here, with its sentence
    if not app.state.scenarios:
        raise UsageError(f"--scenarios {args.scenarios}: no *.toml scenario files there")
    if args.workers == 1:
        uvicorn.run(app, host=args.host, port=args.port)
    else:
        os.environ.update(settings.environment())
        config = uvicorn.Config("app.main:from_environment", factory=True, workers=args.workers, host=args.host,
                                port=args.port)
        sock = config.bind_socket()
        # uvicorn makes this socket with proto 0, so asyncio does not set TCP_NODELAY on the
        # connections it accepts, and every keep-alive answer waited ~40 ms for a delayed ACK;
        # accepted connections inherit the option from the listening socket
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        Multiprocess(config, sockets=[sock]).run()
    return 0


# -- the terminal view of a state -----------------------------------------------------------
def render(scenario: engine.Scenario, variant: str, run: engine.Run) -> str:
    state = run.final
    out = [f"{scenario.id} ({scenario.spec.title}) under {variant}, step {len(run.schedule)}"
           f" of schedule {engine.format_schedule(run.schedule) or '(empty)'}",
           f"  {engine.narrate(state)}", "", "threads:"]
    for t in state.threads:
        top = t.top
        where = f"{top.program.function}: {top.line}" if top else f"returned {t.result}"
        why = engine.waiting_for(state, t.tid)
        out.append(f"  {t.tid} {t.name:<24} {t.status:<8} {where}")
        if why:
            out.append(f"      waiting for {why}")
        if top:
            locals_ = ", ".join(f"{k}={_value(state, v)}" for k, v in top.locals)
            out.append(f"      stack: {' > '.join(f.program.function for f in t.frames)}; {locals_}")
    out.append(f"enabled: {', '.join(engine.enabled(state)) or 'none'}")
    out += ["", "locks:"] + [f"  {lock_name(lk.id, state.config.kernel)}: {_holders(lk)}" for lk in state.locks]
    if not state.locks:
        out.append("  (none held)")
    out += ["", f"mm: mm_users={state.mm.users} mm_count={state.mm.count}", "vmas:"]
    for i in state.mm.vmas:
        obj = state.slab.get(i)
        flags = " ".join(f.removeprefix("VM_") for f in obj.vma.flags)
        out.append(f"  {obj.vma.describe():<48} {flags:<20} {hexaddr(obj.addr)} gen {obj.gen} {obj.state}"
                   f" anon_vma={obj.vma.anon_vma}")
    freelist = " ".join(hexaddr(state.slab.get(i).addr) for i in state.slab.freelist)
    out.append(f"slab (vm_area_struct): freelist {freelist}")
    out += ["", "page tables:"]
    for t in state.pmd_tables:
        out.append(f"  pmd table pfn {hexaddr(t.pfn)} for [{hexaddr(t.base)}, +1G){'' if t.live else ' FREED'}")
        for base, e in t.entries:
            target = f"pte table pfn {hexaddr(e.target)}" if e.kind == TABLE else f"huge page pfn {hexaddr(e.target)}"
            out.append(f"    pmd {hexaddr(base)}: {target}")
            if e.kind == TABLE:
                pt = next(p for p in state.pte_tables if p.pfn == e.target)
                for a, p in pt.ptes:
                    out.append(f"      pte {hexaddr(a)}: {p.kind}")
                c = pt.counts()
                out.append(f"      (all 512: {c['present']} present, {c['swap']} swap, {c['none']} none)")
            elif e.kind == HUGE:
                out.append("      (2 MiB mapped by one pmd)")
    if state.violation:
        v = state.violation
        out += ["", f"VIOLATION {v.kind} at step {v.step} ({v.thread}): {v.message}", v.report,
                f"would have been caught by: {v.check}"]
    return "\n".join(out)


def _holders(lock) -> str:
    held = f"write by {lock.writer}" if lock.writer else f"read by {', '.join(lock.readers)}" if lock.readers else "free"
    queue = ", ".join(f"{t} ({m})" for t, m in lock.queue)
    return held + (f"; queue: {queue}" if queue else "")


def _value(state: State, v: object) -> str:
    if isinstance(v, Ptr) and v.kind == "vm_area_struct":
        now = state.slab.get(v.ref).gen
        return f"{hexaddr(v.addr)}(gen {v.gen}{'' if now == v.gen else f', now gen {now}'})"
    if isinstance(v, Ptr):
        return hexaddr(v.addr)
    return value_text(v)


if __name__ == "__main__":
    sys.exit(main())
