"""Run-until directives: schedules written by what a thread should do, not by step counts.

    T        one step of thread T          T3       three steps
    T!       T until it blocks or is done  T$       T to its end (or the violation)
    T>label  T at least one step, until its next line is ``label``: a step label, the
             first line of the function ``label``, or a line that calls ``label(...)``

Directives are separated by spaces; a run-length schedule (``K16A10C2K9``) is a directive
sequence too, so every schedule is accepted.  :func:`compile_run` turns directives into the
thread ids they run, by stepping the model from a state: a program edit that moves a label
makes a directive fail with a sentence naming it, never a different story.  Links always
carry the canonical run-length form of the result.
"""

from __future__ import annotations

import re

from engine.errors import ScheduleError
from engine.narrate import waiting_for
from engine.schedule import MAX_STEPS, SCHEDULE_WORD, Run, extend, format_schedule, parse_schedule
from engine.state import BLOCKED, DONE, State, enabled

_DIRECTIVE = re.compile(r"([A-Z])(!|\$|>([A-Za-z_][A-Za-z0-9_]*))")
_WORD = rf"(?:{_DIRECTIVE.pattern}|{SCHEDULE_WORD})"
# what a run's text may be, a schedule or directives, for descriptions (OpenAPI): words
# separated by whitespace; anything else is malformed (a ScheduleError at step 0)
RUN_PATTERN = rf"^\s*(?:{_WORD}(?:\s+{_WORD})*)?\s*$"
_MARKS = re.compile(r"[!$>\s]")


def is_directives(text: str) -> bool:
    """Whether ``text`` uses more than the run-length form."""
    return _MARKS.search(text.strip()) is not None


def compile_run(run: Run, text: str, max_steps: int = MAX_STEPS) -> Run:
    """``run`` followed by what the directives in ``text`` run.  A directive that cannot be
    met raises a ScheduleError naming it and why, carrying the run up to it (``valid``)."""
    words = text.split()
    for word in words:          # a malformed word is reported as such, wherever it is
        if _DIRECTIVE.fullmatch(word) is None and re.fullmatch(SCHEDULE_WORD, word) is None:
            parse_schedule(word)
    for word in words:
        if _DIRECTIVE.fullmatch(word) is None:
            try:
                tids = parse_schedule(word, max_steps - len(run.schedule))
            except ScheduleError as e:
                if not e.step:
                    raise
                raise ScheduleError(f"the run is longer than {max_steps} steps, the most a replay runs",
                                    step=max_steps + 1, enabled=enabled(run.final),
                                    prefix=format_schedule(run.schedule), valid=run) from None
            run = extend(run, tids)
            continue
        run = _until(run, word, max_steps)
    return run


def _until(run: Run, word: str, max_steps: int) -> Run:
    tid, mark, label = word[0], word[1], word[2:]
    if tid not in enabled(run.final):
        extend(run, (tid,))            # the replay's own sentence: finished, blocked, no such thread
    steps = 0
    while True:
        state = run.final
        if steps and mark == ">" and next_is(state, tid, label):
            return run
        if steps and mark == "!" and tid not in enabled(state):
            return run
        if mark == "$" and (state.violation is not None or state.thread(tid).status == DONE):
            return run
        if tid not in enabled(state) or len(run.schedule) >= max_steps:
            raise ScheduleError(_why_not(state, word, tid, label, max_steps, len(run.schedule)),
                                step=len(run.schedule) + 1, enabled=enabled(state),
                                prefix=format_schedule(run.schedule), valid=run)
        run = extend(run, (tid,))
        steps += 1


def next_is(state: State, tid: str, label: str) -> bool:
    """Whether thread ``tid``'s next line is ``label``."""
    t = state.thread(tid)
    if not t.frames:
        return False
    frame = t.frames[-1]
    line = frame.step
    return (line.label == label or (frame.pc == 0 and frame.program.function == label)
            or re.search(rf"\b{re.escape(label)}\(", line.line) is not None)


def _why_not(state: State, word: str, tid: str, label: str, max_steps: int, at: int) -> str:
    t = state.thread(tid)
    goal = {"$": "its end", "!": "a block or its end"}.get(word[1], label)
    if at >= max_steps:
        return f"{word}: {tid} runs past {max_steps} steps without reaching {goal}"
    if state.violation is not None:
        return f"{word}: the run ended at step {state.violation.step} ({state.violation.kind}) before {tid} reached {goal}"
    if t.status == DONE:
        return f"{word}: {tid} finished at step {at} without reaching {goal}"
    if t.status == BLOCKED:
        return f"{word}: {tid} blocked at step {at}, waiting for {waiting_for(state, tid)}, before reaching {goal}"
    return f"{word}: {tid} cannot run at step {at + 1}"
