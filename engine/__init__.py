"""mmlock's engine: a pure, deterministic model of Linux mm locking (the v4.8 era, and the
v5.4 era's v5.4 and v5.8 for the 2020 sequel: engine.eras).

The public surface: load scenarios, pick a variant, replay a schedule, step threads.
No I/O beyond reading scenario files, no clock, no randomness, no web imports.
"""

from engine.errors import ModelError, ScenarioError, ScheduleError, VariantError
from engine.narrate import narrate, waiting_for
from engine.scenario import Scenario, catalog, load, load_dir, loads
from engine.schedule import MAX_STEPS, Run, RunRef, extend, format_prefixes, format_schedule, parse_schedule, replay
from engine.state import Event, State, Thread, Violation, enabled, step
from engine.variants import ABLATIONS, VARIANT_IDS, VARIANTS, Variant, variant

__all__ = [
    "ABLATIONS", "MAX_STEPS", "VARIANTS", "VARIANT_IDS", "Event", "ModelError", "Run", "RunRef", "Scenario",
    "ScenarioError", "ScheduleError", "State", "Thread", "Variant", "VariantError", "Violation",
    "catalog", "enabled", "extend", "format_prefixes", "format_schedule", "load", "load_dir", "loads", "narrate", "parse_schedule", "replay",
    "step", "variant", "waiting_for",
]
