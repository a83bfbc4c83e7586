"""Exercises: goals a learner reaches, predict questions, prove claims and fixes, each
graded by replaying with the engine's step() or by the explorer's verdict (docs/exercises.md)."""

from engine.exercises.exercise import Exercise, Part, Predict, catalog, describe_start, load, load_dir, seeded
from engine.exercises.grade import CLAIMS, Grade, Pending, Refused, Submission, Verdicts, as_written, grade
from engine.exercises.spec import ExerciseError
from engine.exercises.verdicts import Computed, needed_scenarios, prove_parts, prove_verdict, verdict_key

__all__ = ["CLAIMS", "as_written", "Computed", "Exercise", "ExerciseError", "Grade", "Part", "Pending", "Predict", "Refused",
           "Submission", "Verdicts", "catalog", "describe_start", "grade", "load", "load_dir", "needed_scenarios",
           "prove_parts", "prove_verdict", "seeded", "verdict_key"]
