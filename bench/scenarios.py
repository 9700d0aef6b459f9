"""What the benchmark measures: the grid of latencies, the two modes and the controls beside
them, repeated and interleaved; in full or quick.

A cell is one variant at one L, in one process or two:

- `asyncio`, `threadpool`: the service's own GET /books?limit=20, rendered in that mode;
- `def-route`, `naive`, `constant`, `wait`: the controls bench/service.py adds to the same
  app (`wait` at L = 20 ms only: what the stack reaches there when a request is nothing
  but its wait, the ceiling against which the limit's target can be read);
- `no-metrics`: the asyncio mode's list again, on a server with METRICS_ENABLED=false, so
  the report can say what the Prometheus metrics cost per request (at L = 0 only, where
  CPU is all there is to measure);
- `asyncio, 5 connections`, `threadpool, 5 connections`: each mode's list at a light load
  (wrk -c5 at L = 20 ms, a limit of 250 req/s), where the server runs well below a core,
  so the event-loop lag target (p99 at most 5 ms below 80% of a core) has cells to hold in;
- `threadpool, one core`: the threadpool mode's list on a server with WEB_PIN_CPU=true,
  each process and its threads on one core of its own (the service's cpu.py).

Each repeat measures every L in turn (the order of the L rotating from repeat to repeat),
and at each L every variant of that L back to back, in ORDER: each list next to the
control its target divides it by, or one cell from it, so the two are measured seconds
apart and the machine's drifting speed touches both alike. The order runs forward in one
repeat and backward in the next, so a drift that favours a cell over its control in one
repeat favours the control in the next.
"""

from dataclasses import dataclass

CONNECTIONS = 20  # wrk -t1 -c20
PATH = {
    "asyncio": "/books?limit=20",
    "threadpool": "/books?limit=20",
    "def-route": "/control/def-route?limit=20",
    "naive": "/control/naive?limit=20",
    "constant": "/control/constant",
    "wait": "/control/wait",
    "no-metrics": "/books?limit=20",
    "asyncio, 5 connections": "/books?limit=20",
    "threadpool, 5 connections": "/books?limit=20",
    "threadpool, one core": "/books?limit=20",
}
MODES = ("asyncio", "threadpool")
CONTROLS = ("def-route", "naive", "constant", "wait")
# The controls are served by the asyncio-mode server of the same L (they do not use the
# service's pool, so the mode of the app around them does not matter to them).
CONTROL_HOST = "asyncio"
# The service with its metrics off, at these L: the asyncio mode, in one process.
NO_METRICS = "no-metrics"
# Each mode at a light load: variant -> its mode; wrk with this many connections.
LIGHT = {"asyncio, 5 connections": "asyncio", "threadpool, 5 connections": "threadpool"}
LIGHT_CONNECTIONS = 5
# A mode on a server with each process pinned to one core (WEB_PIN_CPU): variant -> mode.
PINNED = {"threadpool, one core": "threadpool"}


# The order of an L's cells (variant, processes: 1, or 2 for several). Beside the bare
# route, the two modes' lists (their L = 0 targets), and the pinned one a cell further;
# beside the def route, the asyncio mode's (its L = 1 and 5 ms targets); the wait control
# and the no-metrics list two from the asyncio mode's; the rest after.
ORDER = (
    ("threadpool, one core", 1),
    ("threadpool", 1),
    ("constant", 1),
    ("asyncio", 1),
    ("def-route", 1),
    ("wait", 1),
    (NO_METRICS, 1),
    ("naive", 1),
    *((variant, 2) for variant in ("asyncio", "threadpool", "threadpool, one core", "constant")),
    *((variant, 1) for variant in LIGHT),
)


@dataclass(frozen=True)
class Cell:
    variant: str
    latency_ms: int
    workers: int = 1

    @property
    def mode(self) -> str:
        """The rendered mode of the server the cell runs on."""
        if self.variant in LIGHT:
            return LIGHT[self.variant]
        if self.variant in PINNED:
            return PINNED[self.variant]
        return self.variant if self.variant in MODES else CONTROL_HOST

    @property
    def connections(self) -> int:
        """wrk's connections: 20, or 5 for a light load."""
        return LIGHT_CONNECTIONS if self.variant in LIGHT else CONNECTIONS

    @property
    def metrics(self) -> bool:
        """Whether the cell's server has its metrics on (METRICS_ENABLED)."""
        return self.variant != NO_METRICS

    @property
    def pinned(self) -> bool:
        """Whether the cell's server pins each process to one core (WEB_PIN_CPU)."""
        return self.variant in PINNED

    @property
    def server(self) -> tuple[str, int, int, bool, bool]:
        """The server the cell runs on: mode, L, processes, metrics on, pinned."""
        return self.mode, self.latency_ms, self.workers, self.metrics, self.pinned

    @property
    def path(self) -> str:
        return PATH[self.variant]

    @property
    def key(self) -> str:
        return f"{self.variant}|{self.latency_ms}|{self.workers}"


@dataclass(frozen=True)
class Plan:
    """The cells of one repeat, how many repeats, and how long each cell runs."""

    repeats: int
    seconds: int  # measured, per cell (wrk takes whole seconds)
    warmup: int  # wrk before the measured run, not counted
    settle: float  # after the warm-up: calls in flight finish
    latencies: tuple[int, ...]
    naive_latencies: tuple[int, ...]
    wait_latencies: tuple[int, ...]
    # Before each cell, wait up to quiet_wait seconds for other work on the machine to
    # stop; quiet_budget seconds in all, so a machine that stays busy costs at most that.
    quiet_wait: float = 15.0
    quiet_budget: float = 120.0
    # A cell measured while something else used the machine is measured again, up to
    # `retries` times; `retry_budget` times in all.
    retries: int = 2
    retry_budget: int = 12
    multi_workers: int = 2
    multi_latency: int = 0
    multi_variants: tuple[str, ...] = ("asyncio", "threadpool", "threadpool, one core", "constant")
    no_metrics_latencies: tuple[int, ...] = (0,)
    light_latencies: tuple[int, ...] = (20,)
    pinned_latencies: tuple[int, ...] = (0, 1, 5, 20)

    def cells(self, latency: int) -> list[Cell]:
        """The cells at one L, in ORDER: both modes and the controls; two processes at
        L = 0 too."""
        cells = [Cell(variant, latency) for variant in MODES]
        if latency in self.pinned_latencies:
            cells += [Cell(variant, latency) for variant in PINNED]
        only = {"naive": self.naive_latencies, "wait": self.wait_latencies}
        cells += [Cell(c, latency) for c in CONTROLS if latency in only.get(c, (latency,))]
        if latency in self.no_metrics_latencies:
            cells.append(Cell(NO_METRICS, latency))
        if latency in self.light_latencies:
            cells += [Cell(variant, latency) for variant in LIGHT]
        if latency == self.multi_latency:
            cells += [Cell(v, latency, self.multi_workers) for v in self.multi_variants]
        return sorted(cells, key=lambda cell: ORDER.index((cell.variant, min(cell.workers, 2))))

    def schedule(self) -> list[tuple[int, Cell]]:
        """(repeat, cell) in the order measured: the L rotating with the repeat, each L's
        cells in ORDER, forward and backward in turn."""
        order = []
        for repeat in range(self.repeats):
            shift = repeat % len(self.latencies)
            for latency in self.latencies[shift:] + self.latencies[:shift]:
                cells = self.cells(latency)
                order += [(repeat, cell) for cell in (cells[::-1] if repeat % 2 else cells)]
        return order

    def servers(self) -> list[tuple[str, int, int, bool, bool]]:
        """(mode, L, processes, metrics on, pinned) of every server the plan needs, each
        started once."""
        return sorted({cell.server for _, cell in self.schedule()})


def plan(quick: bool, repeats: int | None = None) -> Plan:
    """The full grid (about 13 minutes on 2 cores), or a short check of the harness."""
    if quick:
        return Plan(
            repeats=repeats or 1,
            seconds=1,
            warmup=1,
            settle=0.3,
            latencies=(0, 5),
            naive_latencies=(0, 5),
            wait_latencies=(5,),
            quiet_wait=2.0,
            quiet_budget=6.0,
            retries=0,
            light_latencies=(5,),
        )
    return Plan(
        repeats=repeats or 3,
        seconds=5,
        warmup=1,
        settle=0.5,
        latencies=(0, 1, 5, 20),
        naive_latencies=(0, 1, 5, 20),
        wait_latencies=(20,),
    )
