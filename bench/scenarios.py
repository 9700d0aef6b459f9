"""What the benchmark measures: the grid of latencies, thread counts and endpoints, the
controls measured beside the service, and the overload scenario; in full or quick."""

from dataclasses import dataclass

LATENCIES_MS = [0, 5, 20, 50]
WORKERS = [4, 20]
ENDPOINTS = {"list": "/books?limit=20", "read": "/books/1", "create": "/books"}
# The alternatives bench/service.py serves in the same app, measured on the list endpoint.
CONTROLS = ["naive", "threadpool", "constant"]


@dataclass(frozen=True)
class Grid:
    """The cells to measure, and how long each one is measured (after its warm-up)."""

    seconds: float
    latencies: list[int]
    workers: list[int]
    endpoints: list[str]

    def controls(self, latency: int, workers: int) -> list[str]:
        """The controls measured in a cell: beside the largest pool only, and the constant
        route (no round trip, so no latency to vary) at the first latency only."""
        if workers != max(self.workers):
            return []
        return [c for c in CONTROLS if c != "constant" or latency == self.latencies[0]]


def grid(quick: bool) -> Grid:
    """The full grid, or one short cell per scenario to check the harness."""
    if quick:
        return Grid(seconds=2.0, latencies=[5], workers=[20], endpoints=["list"])
    return Grid(seconds=5.0, latencies=LATENCIES_MS, workers=WORKERS, endpoints=list(ENDPOINTS))


def offered(workers: int) -> int:
    """Connections in a cell: twice what can run at once (the queue, as large as the pool,
    admits them all, so no request is refused)."""
    return 2 * workers


@dataclass(frozen=True)
class Overload:
    """Backpressure: three times what the bridge admits (threads plus queue), at L."""

    workers: int = 4
    queue: int = 4
    latency_ms: int = 20

    @property
    def connections(self) -> int:
        return 3 * (self.workers + self.queue)


OVERLOAD = Overload()
