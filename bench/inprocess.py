"""Drive the service's ASGI app in this process, no server and no sockets: bench/instructions.py
runs this under callgrind to count the instructions one request costs.

    python bench/inprocess.py PATH REQUESTS [AT_ONCE]

Imports bench/service.py (the rendered service on its stand-in pool; the environment is
bench/server.py's), runs the app's lifespan, sends a readiness probe and waits for its pool
to hold AT_ONCE (20) connections, as bench/server.py's `warm_pool` does before a load, sends
300 requests to warm it, then REQUESTS more, AT_ONCE at a time as wrk's 20 connections
would, each through the whole app: middleware, routing, dependencies, the bridge, the
stand-in and serialization. Without the wait, the count depended on how far the bridge's
warm-up had gone when the requests began: a call that finds no idle connection takes its
turn for the pool's next login, and the stand-in answers at once, so the pool could stay
small through them all.
"""

import asyncio
import sys
import time
from typing import Any

# bench/service.py, on the PYTHONPATH server.environment() sets; `serve` is the service's
# own lifespan, without the loop watcher, whose wake-ups would be counted as the requests'.
from service import app, serve

WARM_UP = 300
# Seconds the pool has to open its connections, under valgrind too.
POOL_WARM_WITHIN = 120
READINESS = "/health/ready"


async def main(path: str, requests: int, at_once: int) -> None:
    async with serve(app) as state:
        never = asyncio.Event()  # the client stays: no http.disconnect
        statuses: list[int] = []

        async def request(path: str = path) -> None:
            route, _, query = path.partition("?")
            received = False

            async def receive() -> dict[str, Any]:
                nonlocal received
                if not received:
                    received = True
                    return {"type": "http.request", "body": b"", "more_body": False}
                await never.wait()
                return {"type": "http.disconnect"}

            async def send(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    statuses.append(message["status"])

            scope = {
                "type": "http",
                "asgi": {"version": "3.0"},
                "http_version": "1.1",
                "method": "GET",
                "scheme": "http",
                "path": route,
                "raw_path": route.encode(),
                "query_string": query.encode(),
                "root_path": "",
                "headers": [(b"host", b"bench")],
                "client": ("127.0.0.1", 40000),
                "server": ("127.0.0.1", 8000),
                "state": dict(state),
            }
            await app(scope, receive, send)

        # A readiness probe opens the pool; the bridge then logs its connections in.
        await request(READINESS)
        deadline = time.monotonic() + POOL_WARM_WITHIN
        while state["database"].connections[0] < at_once:  # (opened, lent)
            if time.monotonic() > deadline:
                sys.exit(f"the pool did not open {at_once} connections in {POOL_WARM_WITHIN} s")
            await asyncio.sleep(0.01)
        for count in (WARM_UP, requests):
            for start in range(0, count, at_once):
                await asyncio.gather(*(request() for _ in range(min(at_once, count - start))))
        if set(statuses) != {200}:
            sys.exit(f"{path} answered {sorted(set(statuses))}, not only 200")


if __name__ == "__main__":
    path, requests = sys.argv[1], int(sys.argv[2])
    asyncio.run(main(path, requests, int(sys.argv[3]) if len(sys.argv) > 3 else 20))
