"""A rendered service whose pool is its own stand-in driver (its tests/standins.py), run by
uvicorn from inside the project (SERVICE_PACKAGE names its package): the whole API, HTTP
to the stand-in's tables, with no Oracle. Nothing else is replaced."""

import importlib
import os
from typing import Any

# The project's own stand-in for its mode's `create_pool(settings)` (tests/calls.py):
# sized as the real pool, on tables of its own, made from the project's migrations.
from tests.calls import stand_in_pool

package = os.environ["SERVICE_PACKAGE"]
db: Any = importlib.import_module(f"{package}.db")
main = importlib.import_module(f"{package}.main")

db.create_pool = stand_in_pool
app = main.create_app()
