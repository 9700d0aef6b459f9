"""The rendered service as the benchmark runs it: only the oracledb pool is replaced.

The pool is the rendered project's own stand-in (tests/standins.py): it binds, stores and
fetches as python-oracledb and Oracle do, and holds its thread for L on each round trip.
The `books` table starts with PRELOADED rows, written through the repository itself.

Also three controls on the same app, for comparison: the same blocking repository
function called straight from an `async def` route (the naive way), from a plain `def`
route (FastAPI's own threadpool), and a bare `async def` route returning a constant (the
machine's ceiling for this stack).
"""

import os
from typing import Any

import book_service.db
from book_service.books import repository
from book_service.books.schemas import BookCreate, BookPage
from book_service.main import create_app
from tests.standins import StandInPool

LATENCY = float(os.environ.get("BENCH_LATENCY_MS", "0")) / 1000
PRELOADED = 100

pool = StandInPool(LATENCY)
with pool.acquire() as connection:
    for number in range(1, PRELOADED + 1):
        book = {"title": f"Title {number}", "isbn": f"{number:013d}", "price": "9.99"}
        repository.insert(connection, BookCreate.model_validate(book | {"in_print": True}))

book_service.db.create_pool = lambda settings: pool
app = create_app()


def first_page() -> BookPage:
    with pool.acquire() as connection:
        connection.autocommit = False
        return repository.fetch_page(connection, limit=20, offset=0)


@app.get("/control/naive")
async def naive() -> Any:
    return first_page()


@app.get("/control/threadpool")
def threadpool() -> Any:
    return first_page()


@app.get("/control/constant")
async def constant() -> dict[str, str]:
    return {"status": "ok"}
