"""Walkthroughs: narrated tours of the story, chapters of stops written as run-until
directives and compiled when the file loads (docs/authoring.md#walkthroughs)."""

from engine.walkthroughs.spec import PANELS, WalkthroughError
from engine.walkthroughs.walkthrough import Chapter, Stop, Walkthrough, catalog, load, load_dir, model_anchors

__all__ = ["PANELS", "Chapter", "Stop", "Walkthrough", "WalkthroughError", "catalog", "load", "load_dir",
           "model_anchors"]
