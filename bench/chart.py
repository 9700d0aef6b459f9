"""The benchmark's chart: GET /books?limit=20 by L in both modes beside the controls:
throughput, event-loop lag p99 and server CPU per request; medians, bars min to max. The
two-process cells are hollow diamonds, the light-load cells (5 connections) hollow
squares."""

import statistics
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # after matplotlib.use(): the backend is chosen first
from scenarios import LIGHT, LIGHT_CONNECTIONS

SERIES = {  # variant: colour, label
    "asyncio": ("tab:blue", "asyncio mode"),
    "threadpool": ("tab:orange", "threadpool mode"),
    "threadpool, one core": ("tab:brown", "threadpool mode, WEB_PIN_CPU"),
    "def-route": ("tab:green", "control: def route"),
    "naive": ("tab:red", "control: naive (blocking in async def)"),
    "constant": ("tab:grey", "control: constant"),
    "wait": ("tab:purple", "control: wait (async def awaiting L)"),
}
PANELS = [
    ("rps", "requests/s", "throughput"),
    ("lag_p99_ms", "ms", "event-loop lag p99 (in the server)"),
    ("cpu_us_per_request", "µs", "server CPU per request"),
]


def points(
    cells: list[dict[str, Any]], variant: str, workers: int, name: str
) -> dict[int, tuple[float, float, float]]:
    """L -> (median, min, max) of `name` over the repeats."""
    by_latency: dict[int, list[float]] = {}
    for cell in cells:
        if cell["variant"] == variant and cell["workers"] == workers:
            by_latency.setdefault(cell["latency_ms"], []).append(cell[name])
    return {
        latency: (statistics.median(values), min(values), max(values))
        for latency, values in sorted(by_latency.items())
    }


def plot(
    axis: Any,
    found: dict[int, tuple[float, float, float]],
    position: dict[int, int],
    offset: float,
    style: dict[str, Any],
) -> None:
    """One series: medians at each L (shifted by `offset`), bars from min to max."""
    xs = [position[latency] + offset for latency in found]
    middle = [v[0] for v in found.values()]
    errors = [[v[0] - v[1] for v in found.values()], [v[2] - v[0] for v in found.values()]]
    axis.errorbar(xs, middle, yerr=errors, capsize=3, **style)


def draw(results: dict[str, Any], path: Path) -> None:
    cells = results["cells"]
    latencies = sorted({c["latency_ms"] for c in cells})
    position = {latency: i for i, latency in enumerate(latencies)}  # L evenly spaced
    multi = sorted({c["workers"] for c in cells if c["workers"] > 1})
    figure, axes = plt.subplots(1, 3, figsize=(16, 5))
    for axis, (name, unit, title) in zip(axes, PANELS, strict=True):
        for variant, (colour, label) in SERIES.items():
            for workers in [1, *multi]:
                found = points(cells, variant, workers, name)
                if not found:
                    continue
                several = {"marker": "D", "linestyle": "none", "markerfacecolor": "white"}
                style = {"marker": "o", "linestyle": "-"} if workers == 1 else several
                named = label if workers == 1 else f"{label}, {workers} processes"
                offset = 0.08 if workers > 1 else 0
                plot(axis, found, position, offset, {"color": colour, "label": named, **style})
        # The light-load cells, where the lag target applies: hollow squares.
        for variant, mode in LIGHT.items():
            found = points(cells, variant, 1, name)
            colour, label = SERIES[mode]
            style = {"marker": "s", "linestyle": "none", "markerfacecolor": "white"}
            named = f"{label}, {LIGHT_CONNECTIONS} connections"
            if found:
                plot(axis, found, position, -0.08, {"color": colour, "label": named, **style})
        if name == "rps":
            limits = [(position[x], 20 / (x / 1000)) for x in latencies if x]
            axis.plot(
                *zip(*limits, strict=True), "k:", marker="_", label="limit: 20 connections / L"
            )
        if name == "lag_p99_ms":
            axis.axhline(5, color="black", linestyle="--", linewidth=0.8, label="lag target: 5 ms")
        axis.set(
            xticks=range(len(latencies)),
            xticklabels=[str(latency) for latency in latencies],
            xlabel="L, ms per round trip",
            ylabel=unit,
            yscale="log",
            title=title,
        )
        axis.grid(True, which="major", alpha=0.3)
    legend: dict[str, Any] = {}  # label -> handle, once each, from every panel
    for axis in axes:
        for handle, label in zip(*axis.get_legend_handles_labels(), strict=True):
            legend.setdefault(label, handle)
    figure.legend(legend.values(), legend.keys(), loc="lower center", ncol=5, fontsize=8)
    figure.suptitle("GET /books?limit=20, one uvicorn process, wrk -t1 -c20 (median, min-max)")
    figure.tight_layout(rect=(0, 0.1, 1, 1))
    figure.savefig(path, dpi=100)
    plt.close(figure)
