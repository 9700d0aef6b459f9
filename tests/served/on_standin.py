"""A rendered service whose pool is its own stand-in driver (its tests/standins.py), run by
uvicorn from inside the project (SERVICE_PACKAGE names its package): the whole API, HTTP
to the stand-in's tables, with no Oracle. Nothing else is replaced."""

import importlib
import inspect
import os
from typing import Any

from tests.standins import StandInAsyncPool, StandInDatabase, StandInPool

package = os.environ["SERVICE_PACKAGE"]
db: Any = importlib.import_module(f"{package}.db")
statements = importlib.import_module(f"{package}.statements")
main = importlib.import_module(f"{package}.main")

# The tables of the project's own migrations, which every connection of the pool shares.
database = StandInDatabase()


def stand_in_pool(settings: Any) -> Any:
    """The pool the service's mode calls, sized as the real one would be."""
    asyncio_mode = inspect.iscoroutinefunction(statements.fetch_page)
    pool = StandInAsyncPool if asyncio_mode else StandInPool
    return pool(
        max=settings.pool_connections, wait_timeout=settings.pool_timeout, database=database
    )


db.create_pool = stand_in_pool
app = main.create_app()
