"""State -> view models: plain strings, lists and SVG geometry for the templates.

Templates only loop and branch over what is built here, one module per page or panel:
format (values written once), threads, space, memory, timeline, catalog, player, compare,
explore, checks, and replay_json (also the output of ``mmlock show --json``).  This package
re-exports what the routes and the CLI call.
"""

from app.views.catalog import scenario_card
from app.views.checks import checks_page, left_out
from app.views.compare import compare, compare_json
from app.views.player import player
from app.views.replay_json import replay_json

__all__ = ["checks_page", "compare", "compare_json", "left_out", "player", "replay_json", "scenario_card"]
