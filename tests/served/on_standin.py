"""A rendered service whose pool is its own stand-in driver (its tests/standins.py), run by
uvicorn from inside the project (SERVICE_PACKAGE names its package): the whole API, HTTP
to the stand-in's tables, with no Oracle. Nothing else is replaced but the bridge's own
login, which opens the pool, and which the stand-in's Oracle accepts (and, in the asyncio
mode, its lookup of Oracle's host names before it: there is no host)."""

import importlib
import os
from typing import Any

# The project's own stand-in for its mode's `create_pool(settings)` (tests/calls.py):
# sized as the real pool, on tables of its own, made from the project's migrations.
from tests.calls import stand_in_pool

package = os.environ["SERVICE_PACKAGE"]
db: Any = importlib.import_module(f"{package}.db")
main = importlib.import_module(f"{package}.main")


async def log_in(settings: Any) -> None:
    """The bridge's own login (db.log_in_async, in either mode): accepted at once."""


def resolve_hosts(settings: Any) -> None:
    """The asyncio mode's lookup of the host names before the login: none to find."""


db.create_pool = stand_in_pool
db.log_in_async = log_in
if hasattr(db, "resolve_hosts"):
    db.resolve_hosts = resolve_hosts
app = main.create_app()
