"""Prometheus metrics: requests by route, and the bridge and its pool as a scrape finds them.

GET /metrics answers in Prometheus's text format (METRICS_ENABLED=false: 404). Requests are
counted by method (_OTHER for any but HTTP's own), route template (`/books/{book_id}`, never
the path itself) and status, with their durations, and those the HTTP protocol refuses
before the app, by status; the bridge counts the calls it refuses and the Oracle errors it
sees, by code (DPY-4024 is a call timeout). The pool's connections and the bridge's calls
are read from them when a scrape asks, not kept up to date by every call.

With several worker processes (WEB_CONCURRENCY), a scrape reaches one of them. Set
PROMETHEUS_MULTIPROC_DIR to an empty directory of their own, made before they start, and
the counters and histograms are those of every process together (prometheus_client's
multiprocess mode); the pool and call gauges stay the answering process's own.
"""

import asyncio
import os
import time
from collections.abc import Iterator
from typing import Protocol

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PATH = "/metrics"
# The route label of a request that matched no route: one value, whatever the path was.
UNMATCHED = "unmatched"
# The status label of a request whose client left before any response.
GONE = "499"
# The key, in a request's state, of the status the HTTP protocol answered it with while
# its body was being read (request_head.py): the request is the app's, and counted as that.
REFUSED_STATUS = "refused_status"
# The method label: one of HTTP's own methods, or OTHER for any other token a client sends
# (uvicorn's h11 protocol takes any), so clients cannot add label values without end.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"})
OTHER = "_OTHER"

# The service's own counts: one set per process, as prometheus_client keeps them; each
# scrape gathers them into a registry of its own.
REQUESTS = Counter(
    "http_requests", "HTTP requests answered", ["method", "route", "status"], registry=None
)
DURATION = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["method", "route"],
    # Past 30 s, ORACLE_CALL_TIMEOUT's default: a call timeout's 504 comes after it, twice
    # it on a silent Oracle, and the drain cuts a request off at 40 s by default.
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
    registry=None,
)
REFUSED = Counter(
    "oracle_calls_refused",
    "Database calls refused at once: every place taken, Oracle's refusal of the login, or "
    "Oracle found unreachable by a login a moment ago",
    ["reason"],
    registry=None,
)
REFUSED_OVERLOADED = REFUSED.labels(reason="overloaded")
REFUSED_LOGIN = REFUSED.labels(reason="credentials")
REFUSED_UNREACHABLE = REFUSED.labels(reason="unreachable")
ORACLE_ERRORS = Counter(
    "oracle_errors", "python-oracledb errors of database calls, by code", ["code"], registry=None
)
# Counted by the HTTP protocol (request_head.py), for requests the app never sees; one it
# refuses for its body is the app's already, and counted with REQUESTS.
REQUESTS_REFUSED = Counter(
    "http_requests_refused",
    "HTTP requests refused before the app: malformed (400), too slow (408), a target too "
    "long (414), too many pipelined (429), a head too long (431), of an unknown method (501), "
    "too many heads at once (503), of another HTTP version (505)",
    ["status"],
    registry=None,
)
COUNTS = (REQUESTS, DURATION, REFUSED, ORACLE_ERRORS, REQUESTS_REFUSED)


class Observed(Protocol):
    """What a scrape reads of the bridge (db.Database)."""

    @property
    def admitted(self) -> int: ...

    @property
    def connections(self) -> tuple[int, int]: ...


class BridgeCollector:
    """The pool's connections and the bridge's calls, read as the scrape asks: on the event
    loop, where the bridge keeps them, when the collector is made."""

    def __init__(self, database: Observed, pool_max: int) -> None:
        self._connections = database.connections
        self._admitted = database.admitted
        self._pool_max = pool_max

    def collect(self) -> Iterator[Metric]:
        opened, busy = self._connections
        admitted = self._admitted
        # A running call holds a connection; the readiness ping's is not a call's.
        running = min(busy, admitted)
        yield GaugeMetricFamily("oracle_pool_connections_open", "Connections open", opened)
        yield GaugeMetricFamily("oracle_pool_connections_busy", "Connections lent out", busy)
        yield GaugeMetricFamily(
            "oracle_pool_connections_max", "Most connections the pool opens", self._pool_max + 1
        )
        yield GaugeMetricFamily("oracle_calls_running", "Database calls on a connection", running)
        yield GaugeMetricFamily(
            "oracle_calls_waiting", "Database calls waiting for their turn", admitted - running
        )


def registry(database: Observed, pool_max: int) -> CollectorRegistry:
    """What one scrape reports: this process's counts, or every process's, and the bridge."""
    gathered = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(gathered)
    else:
        for metric in COUNTS:
            gathered.register(metric)
    gathered.register(BridgeCollector(database, pool_max))
    return gathered


async def read_metrics(request: Request) -> Response:
    """The metrics, in Prometheus's text format; 404 while METRICS_ENABLED is false."""
    settings = request.state.settings
    if not settings.metrics:
        raise HTTPException(404)
    gathered = registry(request.state.database, settings.pool_max)
    # Written out on a thread: a few thousand lines (each route's histogram, by method and
    # status) took 60 to 85 ms, which held every request on the event loop meanwhile.
    body = await asyncio.to_thread(generate_latest, gathered)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def route_of(scope: Scope) -> str:
    """The template of the route that answered, or UNMATCHED.

    FastAPI's routes put themselves in the scope; a plain Starlette route, such as the four
    of the documentation (/docs, /redoc, /openapi.json), only its endpoint.
    """
    route = scope.get("route")
    if route is not None:
        return str(route.path)
    endpoint = scope.get("endpoint")
    if endpoint is not None:
        for candidate in scope["app"].router.routes:
            if getattr(candidate, "endpoint", None) is endpoint:
                return str(candidate.path)
    return UNMATCHED


class MetricsMiddleware:
    """Counts and times each request by method, route template and status."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # Each label set's counter and histogram, found once: the registry's own lookup
        # takes a lock and checks the labels on every request.
        self._series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == PATH:
            await self.app(scope, receive, send)
            return
        # The settings the lifespan read; an app run without its lifespan counts as well.
        settings = scope.get("state", {}).get("settings")
        if settings is not None and not settings.metrics:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        except BaseException:
            status = status or 500  # the server answers 500 for what reaches it
            raise
        finally:
            # Answered by the protocol, for a body too slow or malformed: not a client gone.
            status = status or scope.get("state", {}).get(REFUSED_STATUS, 0)
            method = scope["method"] if scope["method"] in METHODS else OTHER
            key = (method, route_of(scope), status)
            series = self._series.get(key)
            if series is None:
                series = self._series[key] = self._labelled(*key)
            series[0].inc()
            series[1].observe(time.perf_counter() - started)

    @staticmethod
    def _labelled(method: str, route: str, status: int) -> tuple[Counter, Histogram]:
        answered = str(status) if status else GONE
        return REQUESTS.labels(method, route, answered), DURATION.labels(method, route)
