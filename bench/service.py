"""The rendered service as the benchmark runs it: only the oracledb pool is replaced.

Also three controls on the same app, for comparison: the same blocking repository
function called straight from an `async def` route (the naive way), from a plain `def`
route (FastAPI's own threadpool), and a bare `async def` route returning a constant (the
machine's ceiling for this stack).
"""

import os
from typing import Any

import book_service.db
from book_service.books import repository
from book_service.main import create_app
from standin import Connection, Pool

LATENCY = float(os.environ.get("BENCH_LATENCY_MS", "0")) / 1000

book_service.db.create_pool = lambda settings: Pool(LATENCY)
app = create_app()


@app.get("/control/naive")
async def naive() -> Any:
    return repository.fetch_page(Connection(LATENCY), limit=20, offset=0)


@app.get("/control/threadpool")
def threadpool() -> Any:
    return repository.fetch_page(Connection(LATENCY), limit=20, offset=0)


@app.get("/control/constant")
async def constant() -> dict[str, str]:
    return {"status": "ok"}
