"""The rendered service as the benchmark runs it: only the oracledb pool is replaced.

The pool is the rendered project's own stand-in (tests/standins.py): it binds, stores and
fetches as python-oracledb and Oracle do, and each round trip takes L (BENCH_LATENCY_MS):
the asyncio stand-in awaits it, the blocking one holds its thread. The mode is the
rendered project's: its statements are coroutines in the asyncio mode, blocking functions
in the threadpool mode. The `books` table starts with PRELOADED rows, written as the
service's own INSERT writes them, whichever the mode.

Also four controls on the same app, each tried after the same routes as GET /books (they
are mounted where its router is), the first two fetching the same page with the same SQL
and row mapping on a blocking stand-in pool at the same L (so on the same tables):

- `/control/def-route`: a plain `def` route, which FastAPI runs on its own threadpool;
- `/control/naive`: the blocking fetch called straight from an `async def` route;
- `/control/constant`: a bare `async def` route returning a constant, the ceiling of this
  stack (uvicorn, the middleware, FastAPI) on this machine;
- `/control/wait`: the bare route awaiting L first, as the asyncio stand-in awaits a round
  trip: the ceiling of this stack at L, where a request is nothing but its wait.

And the steps from the bare route to the list, each adding one part of what GET /books
does, for bench/instructions.py to count: `/control/params` (its two query parameters),
`/control/dependency` (and the repository dependency), `/control/bridge` (and one call
through the bridge that does nothing), `/control/fetch` (the list's own call instead,
its page left unserialized).

And the event loop's own lag, which the harness reads for each cell: `/control/lag`.
"""

import asyncio
import inspect
import os
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import book_service.db
from book_service import statements, tables
from book_service.books import sql
from book_service.books.dependencies import BookRepositoryDep
from book_service.books.schemas import BookCreate, BookPage
from book_service.db import Database
from book_service.main import create_app
from book_service.paging import Limit, Offset
from fastapi import APIRouter, Request
from starlette.responses import PlainTextResponse
from starlette.routing import Match, Mount, Route
from starlette.types import Receive, Scope, Send
from tests.standins import StandInAsyncPool, StandInDatabase, StandInPool

# The stand-in reads its tables from the migrations with alembic (so SQLAlchemy too), which
# the service itself never imports; the harness has read them already (BENCH_DDL), and the
# stand-in imports alembic only when it reads them itself. Kept out of this process, the
# heap that each full garbage collection walks, and so the pause it makes every request
# wait for, is the service's own size, not twice that.
DDL = os.environ.get("BENCH_DDL")

LATENCY = float(os.environ.get("BENCH_LATENCY_MS", "0")) / 1000
PRELOADED = 100
ASYNCIO = inspect.iscoroutinefunction(statements.fetch_page)
MODE = "asyncio" if ASYNCIO else "threadpool"

# One set of tables for the service's pool, the controls' pool and the preload.
database = StandInDatabase(Path(DDL).read_text() if DDL else None)


def preload(rows: int) -> None:
    """Write `rows` books as statements.insert does, in one autocommitted connection."""
    with StandInPool(0, max=1, database=database).acquire() as connection:
        connection.autocommit = True
        for number in range(1, rows + 1):
            book = BookCreate(
                title=f"Title {number}", isbn=f"{number:013d}", price="9.99", in_print=True
            )
            with connection.cursor() as cursor:
                cursor.setinputsizes(**sql.INPUT_SIZES)
                stored = tables.returned(cursor, sql)
                cursor.execute(sql.INSERT, sql.to_binds(book) | stored)


preload(PRELOADED)


def stand_in_pool(settings: Any) -> Any:
    """The service's pool: the stand-in of the API its mode calls, sized as the real one."""
    pool = StandInAsyncPool if ASYNCIO else StandInPool
    return pool(
        LATENCY,
        max=settings.pool_connections,
        wait_timeout=settings.pool_timeout,
        database=database,
    )


async def log_in(settings: Any) -> None:
    """The bridge's own login (db.log_in_async, in either mode), which opens the pool:
    Oracle accepts it, at once."""


def resolve_hosts(settings: Any) -> None:
    """The asyncio mode's lookup of Oracle's host names before that login: no host to find."""


book_service.db.create_pool = stand_in_pool
book_service.db.log_in_async = log_in
if hasattr(book_service.db, "resolve_hosts"):
    book_service.db.resolve_hosts = resolve_hosts
app = create_app()

# The event loop's lag: a timer due every LAG_PERIOD seconds, and how late it runs. While
# the loop runs one request's code, nothing else on it runs, this timer included, so a
# loop held for 30 ms runs it up to 30 ms late. Kept with the time of each, the last
# minute's worth, for the harness to take the samples of its measured interval. Only
# while requests are in flight: each wake-up of an idle process costs about 120 µs of CPU
# on these machines, and the run keeps a dozen servers waiting for their turn.
LAG_PERIOD = 0.005
IDLE_PERIOD = 0.1
lags: deque[tuple[float, float]] = deque(maxlen=int(60 / LAG_PERIOD))


async def watch_the_loop() -> None:
    idle = len(asyncio.all_tasks())  # the server's own tasks and this one: no request
    while True:
        period = LAG_PERIOD if len(asyncio.all_tasks()) > idle else IDLE_PERIOD
        due = time.monotonic() + period
        await asyncio.sleep(period)
        now = time.monotonic()
        lags.append((now, (now - due) * 1000))


serve = app.router.lifespan_context


@asynccontextmanager
async def serve_and_watch(app: Any) -> AsyncIterator[Any]:
    """The service's own lifespan, with the loop watched while it serves."""
    async with serve(app) as state:
        watcher = asyncio.ensure_future(watch_the_loop())
        try:
            yield state
        finally:
            watcher.cancel()


# Left out where instructions are counted under uvicorn (bench/instructions.py): its
# wake-ups would be counted as the requests'.
if os.environ.get("BENCH_WATCH_THE_LOOP", "1") == "1":
    app.router.lifespan_context = serve_and_watch

# The controls: routes of their own, put where the list's router is (below).
controls = APIRouter()

# The controls' pool: blocking, as large as the service's.
control_pool = StandInPool(
    LATENCY, max=int(os.environ.get("ORACLE_POOL_MAX", "20")) + 1, database=database
)


def fetch_page(limit: int, offset: int) -> BookPage:
    """The page, as the threadpool mode's statements.fetch_page reads it, on its own thread."""
    with control_pool.acquire() as connection:
        connection.autocommit = False
        with connection.cursor() as cursor:
            cursor.arraysize = limit + 1
            cursor.prefetchrows = limit + 2
            binds = {"offset": offset, "limit": limit + 1}
            cursor.execute(sql.SELECT_PAGE, binds, fetch_decimals=True)
            cursor.rowfactory = sql.from_row
            rows: list[Any] = cursor.fetchall()
    return BookPage.of(rows, limit=limit, offset=offset)


@controls.get("/def-route")
def def_route(limit: Limit = 20, offset: Offset = 0) -> BookPage:
    return fetch_page(limit, offset)


@controls.get("/naive")
async def naive(limit: Limit = 20, offset: Offset = 0) -> BookPage:
    return fetch_page(limit, offset)


@controls.get("/constant")
async def constant() -> dict[str, str]:
    return {"status": "ok"}


@controls.get("/wait")
async def wait() -> dict[str, str]:
    await asyncio.sleep(LATENCY)
    return {"status": "ok"}


@controls.get("/params")
async def params(limit: Limit = 20, offset: Offset = 0) -> dict[str, str]:
    return {"status": "ok"}


@controls.get("/dependency")
async def dependency(
    repository: BookRepositoryDep, limit: Limit = 20, offset: Offset = 0
) -> dict[str, str]:
    return {"status": "ok"}


async def nothing_async(connection: Any) -> None:
    """A database call that does nothing: the bridge's cost on its own (asyncio mode)."""


def nothing(connection: Any) -> None:
    """A database call that does nothing: the bridge's cost on its own (threadpool mode)."""


@controls.get("/bridge")
async def bridge(
    request: Request, repository: BookRepositoryDep, limit: Limit = 20, offset: Offset = 0
) -> dict[str, str]:
    # The database as the repository dependency reads it: from the lifespan's state.
    database: Database = request.state.database
    await database.run_as("book list", nothing_async if ASYNCIO else nothing)
    return {"status": "ok"}


@controls.get("/fetch")
async def fetch(
    repository: BookRepositoryDep, limit: Limit = 20, offset: Offset = 0
) -> dict[str, str]:
    await repository.list(limit=limit, offset=offset)
    return {"status": "ok"}


@controls.get("/lag")
async def lag(since: float, until: float) -> list[float]:
    """How late, in ms, the loop ran each timer due between two times of time.monotonic(),
    which every process on the machine shares: with several worker processes, those of
    the one that answers."""
    return [late for at, late in lags if since <= at <= until]


@controls.get("/mode")
async def mode() -> dict[str, Any]:
    """What this process runs, for the harness to check."""
    return {"mode": MODE, "latency_s": LATENCY, "pid": os.getpid()}


def where_the_list_is() -> int:
    """The place in the app's routes of the one that answers GET /books: the resources'
    router, as the app includes it."""
    scope = {"type": "http", "method": "GET", "path": "/books", "root_path": "", "app": app}
    for place, route in enumerate(app.router.routes):
        found, _ = route.matches(dict(scope))
        if found is Match.FULL:
            return place
    raise RuntimeError("no route of the app answers GET /books")


class Controls:
    """The controls' routes, each found by its path: a router would try them in turn, and
    a control late in its list would pay for those before it."""

    def __init__(self, router: APIRouter) -> None:
        # Not `routes`: a Mount reads an app's `routes` as a list of routes, when the app
        # builds a URL for a route's name (`url_path_for`, as POST /books does).
        self.by_path = {route.path: route for route in router.routes if isinstance(route, Route)}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self.by_path.get(scope["path"].removeprefix(scope["root_path"]))
        if route is None:
            await PlainTextResponse("No such control", 404)(scope, receive, send)
            return
        _, child = route.matches(scope)
        scope.update(child)
        await route.handle(scope, receive, send)


# FastAPI tries an app's routes in turn, and each one tried before a request's own costs
# it about 10 000 instructions, an included router several times that (docs/performance.md):
# a route added last would pay for every route of the service. Mounted just before the
# list's router, each control is tried after the same routes as GET /books, so the bare
# route is the stack's ceiling for a request there; and GET /books pays for one failed
# match more, the mount's.
app.router.routes.insert(where_the_list_is(), Mount("/control", app=Controls(controls)))
