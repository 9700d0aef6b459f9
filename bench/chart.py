"""The benchmark's chart: throughput of the list endpoint by latency, service vs controls."""

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # after matplotlib.use(): the backend is chosen first


def draw(results: dict[str, Any], path: Path) -> None:
    cells = [c for c in results["cells"] if c["endpoint"] == "list"]
    latencies = sorted({c["latency_ms"] for c in cells})
    figure, (throughput, lag) = plt.subplots(1, 2, figsize=(12, 4.5))
    series = [("service", 20), ("service", 4), ("threadpool", 20), ("naive", 20)]
    for variant, workers in series:
        points = {
            c["latency_ms"]: c for c in cells if c["variant"] == variant and c["workers"] == workers
        }
        xs = [latency for latency in latencies if latency in points]
        label = f"{variant} ({workers} threads)" if variant == "service" else variant
        throughput.plot(xs, [points[x]["rps"] for x in xs], marker="o", label=label)
        lag.plot(xs, [points[x]["lag_p99_ms"] for x in xs], marker="o", label=label)
    for workers in (20, 4):
        limits = [workers / (latency / 1000) for latency in latencies if latency]
        throughput.plot(
            [x for x in latencies if x], limits, linestyle=":", label=f"limit, {workers} threads"
        )
    constant = [c["rps"] for c in results["cells"] if c["variant"] == "constant"]
    if constant:
        throughput.axhline(constant[0], color="grey", linestyle="--", label="bare async route")
    throughput.set(
        xlabel="L, ms per round trip",
        ylabel="requests/s",
        yscale="log",
        title="GET /books?limit=20: throughput",
    )
    lag.set(
        xlabel="L, ms per round trip",
        ylabel="ms",
        yscale="log",
        title="event-loop lag p99 (/health/live probe)",
    )
    throughput.legend(fontsize=8)
    lag.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
