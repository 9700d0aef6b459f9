"""The benchmark's chart: GET /books?limit=20 by L in both modes beside the controls:
throughput, event-loop lag p99 and server CPU per request; medians, bars min to max."""

import statistics
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # after matplotlib.use(): the backend is chosen first

SERIES = {  # variant: colour, label
    "asyncio": ("tab:blue", "asyncio mode"),
    "threadpool": ("tab:orange", "threadpool mode"),
    "def-route": ("tab:green", "control: def route"),
    "naive": ("tab:red", "control: naive (blocking in async def)"),
    "constant": ("tab:grey", "control: constant"),
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
                xs = [position[latency] + (0.08 if workers > 1 else 0) for latency in found]
                middle = [v[0] for v in found.values()]
                errors = [
                    [v[0] - v[1] for v in found.values()],
                    [v[2] - v[0] for v in found.values()],
                ]
                axis.errorbar(
                    xs,
                    middle,
                    yerr=errors,
                    color=colour,
                    marker="o" if workers == 1 else "D",
                    linestyle="-" if workers == 1 else "none",
                    markerfacecolor=colour if workers == 1 else "white",
                    capsize=3,
                    label=label if workers == 1 else f"{label}, {workers} processes",
                )
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
