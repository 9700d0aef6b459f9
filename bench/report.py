"""The markdown tables of docs/performance.md, from bench/results/results.json: each cell's
median and spread over the repeats, the CPU per request, and the targets, each a ratio to
a control measured in the same repeat (computed per repeat, then the median).

    python bench/report.py [results.json]
"""

import json
import statistics
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

# The modes, the light-load cells (each mode's list with 5 connections), wrk's connections.
from scenarios import CONNECTIONS, LIGHT, MODES, PINNED

RESULTS = Path(__file__).resolve().parent / "results" / "results.json"
VARIANTS = (
    "asyncio",
    "threadpool",
    *PINNED,
    "def-route",
    "naive",
    "constant",
    "wait",
    "no-metrics",
    *LIGHT,
)
# The most the Prometheus metrics may add to the CPU a request costs (asyncio, L = 0).
METRICS_COST = 0.05
LAG_LIMIT_MS = 5.0
# The list's throughput: a share of the bare route's at L = 0 (in the faster mode, and in
# the threadpool mode), a multiple of the def route's at L = 1 and 5 ms, and a share of
# the limit at L = 20 ms (20 / L, and read as well against the wait control, what the
# same server reaches at L when a request is nothing but its wait). targets() gives the
# verdicts, budget_table() the CPU each allows.
BARE_SHARE_FASTER, BARE_SHARE_THREADPOOL = 0.5, 0.35
DEF_ROUTE_MULTIPLE = 2.0
LIMIT_SHARE = 0.95
BUSY = 0.8  # the lag target holds where the server is below this share of a core
Key = tuple[str, int, int]  # variant, L, processes
Cells = dict[Key, dict[int, dict[str, Any]]]  # -> repeat -> cell


def bare_share(mode: str) -> float:
    """The share of the bare route a mode's list is asked for at L = 0, pinned or not: the
    threadpool mode's own, or the faster mode's."""
    return BARE_SHARE_THREADPOOL if mode == "threadpool" else BARE_SHARE_FASTER


def index(results: dict[str, Any]) -> Cells:
    cells: Cells = defaultdict(dict)
    for cell in results["cells"]:
        cells[cell["variant"], cell["latency_ms"], cell["workers"]][cell["repeat"]] = cell
    return cells


def spread(values: Iterable[float], digits: int = 0, unit: str = "") -> str:
    """Median, then min-max: `612 (598-640)`."""
    values = sorted(values)
    if not values:
        return "-"
    middle, low, high = statistics.median(values), values[0], values[-1]
    if len(values) == 1:
        return f"{middle:.{digits}f}{unit}"
    return f"{middle:.{digits}f}{unit} ({low:.{digits}f}-{high:.{digits}f})"


def metric(cells: Cells, key: Key, name: str) -> list[float]:
    return [cell[name] for cell in cells.get(key, {}).values()]


def median(cells: Cells, key: Key, name: str) -> float:
    values = metric(cells, key, name)
    return statistics.median(values) if values else float("nan")


def ordered(cells: Cells) -> list[Key]:
    return sorted(cells, key=lambda k: (k[2], k[1], VARIANTS.index(k[0])))


def results_table(cells: Cells) -> list[str]:
    lines = [
        "| variant | L (ms) | processes | req/s | CPU µs/req | loop lag p99 (ms) "
        "| probe p99 (ms) | request p99 (ms) | server CPU | wrk CPU | others' CPU | non-2xx |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for key in ordered(cells):
        variant, latency, workers = key
        rest = [others(c) for c in cells[key].values()]
        lines.append(
            f"| {variant} | {latency} | {workers} | {spread(metric(cells, key, 'rps'))} "
            f"| {spread(metric(cells, key, 'cpu_us_per_request'))} "
            f"| {spread(metric(cells, key, 'lag_p99_ms'), 1)} "
            f"| {spread(metric(cells, key, 'probe_p99_ms'), 1)} "
            f"| {statistics.median(metric(cells, key, 'p99_ms')):.1f} "
            f"| {median(cells, key, 'server_cpu'):.0%} | {median(cells, key, 'wrk_cpu'):.0%} "
            f"| {statistics.median(rest):.0%} | {sum(metric(cells, key, 'non_2xx')):.0f} |"
        )
    return lines


def cpu_table(cells: Cells) -> list[str]:
    """Server CPU per request, µs: each variant by L."""
    latencies = sorted({key[1] for key in cells})
    rows = sorted({(key[0], key[2]) for key in cells}, key=lambda r: (r[1], VARIANTS.index(r[0])))
    lines = [
        "| CPU µs per request | " + " | ".join(f"L = {latency} ms" for latency in latencies) + " |",
        "| --- |" + " ---: |" * len(latencies),
    ]
    for variant, workers in rows:
        name = variant if workers == 1 else f"{variant}, {workers} processes"
        values = [
            spread(metric(cells, (variant, latency, workers), "cpu_us_per_request"))
            for latency in latencies
        ]
        lines.append(f"| {name} | " + " | ".join(values) + " |")
    return lines


def per_repeat(
    cells: Cells, key: Key, against: Key | None, value: Callable[[dict[str, Any]], float]
) -> list[float]:
    """value(cell) / value(control) for each repeat that has both (or value alone)."""
    ratios = []
    for repeat, cell in sorted(cells.get(key, {}).items()):
        if against is None:
            ratios.append(value(cell))
        elif repeat in cells.get(against, {}):
            ratios.append(value(cell) / value(cells[against][repeat]))
    return ratios


def rps(cell: dict[str, Any]) -> float:
    return float(cell["rps"])


def cpu(cell: dict[str, Any]) -> float:
    return float(cell["cpu_us_per_request"])


def faster(cells: Cells, latency: int) -> str:
    """The mode with the higher median throughput at L, in one process."""
    return max(MODES, key=lambda mode: median(cells, (mode, latency, 1), "rps"))


def verdict(values: list[float], threshold: float, at_most: bool = False) -> str:
    if not values:
        return "not measured"
    middle = statistics.median(values)
    met = middle <= threshold if at_most else middle >= threshold
    return "PASS" if met else "FALL SHORT"


def throughput(connections: int, wait_s: float, cpu_s: float) -> float:
    """Requests a second from `connections` clients that each send the next request as the
    last is answered, when a request waits `wait_s` on Oracle (waits that overlap: one per
    connection) and takes `cpu_s` of the server's one core (queued there when it is busy).
    Exact mean-value analysis of that closed loop: one queue, the server's CPU, and one
    delay, the round trip."""
    queued = rate = 0.0
    for clients in range(1, connections + 1):
        residence = cpu_s * (1 + queued)
        rate = clients / (residence + wait_s)
        queued = rate * residence
    return rate


def cpu_budget(connections: int, wait_s: float, wanted: float) -> float:
    """The most CPU a request may take, in seconds, for `throughput` to reach `wanted`."""
    low, high = 0.0, 1 / wanted  # with the core busy all the time, 1 / cpu_s is the most
    for _ in range(50):
        middle = (low + high) / 2
        low, high = (
            (middle, high) if throughput(connections, wait_s, middle) >= wanted else (low, middle)
        )
    return low


def targets(cells: Cells) -> list[dict[str, Any]]:
    """Each target: what it says, the per-repeat values, the threshold, and the verdict."""
    rows: list[dict[str, Any]] = []

    def add(
        target: str, values: list[float], threshold: float, at_most: bool = False, note: str = ""
    ) -> None:
        sign = "≤" if at_most else "≥"
        rows.append(
            {
                "target": target,
                "values": values,
                "threshold": f"{sign} {threshold:g}",
                "verdict": verdict(values, threshold, at_most),
                "note": note,
            }
        )

    latencies = sorted({key[1] for key in cells})

    def other(mode: str) -> str:
        return MODES[1 - MODES.index(mode)]

    if 0 in latencies:
        best = faster(cells, 0)
        values = per_repeat(cells, (best, 0, 1), ("constant", 0, 1), rps)
        slower = per_repeat(cells, (other(best), 0, 1), ("constant", 0, 1), rps)
        add(
            f"L = 0: list / constant, faster mode ({best})",
            values,
            BARE_SHARE_FASTER,
            note=f"{other(best)}: {spread(slower, 2)}",
        )
        values = per_repeat(cells, ("threadpool", 0, 1), ("constant", 0, 1), rps)
        add("L = 0: list / constant, threadpool mode", values, BARE_SHARE_THREADPOOL)
        for variant, mode in PINNED.items():
            if (variant, 0, 1) in cells:
                values = per_repeat(cells, (variant, 0, 1), ("constant", 0, 1), rps)
                add(f"L = 0: list / constant, {variant} (WEB_PIN_CPU)", values, bare_share(mode))
    for latency in (1, 5):
        if latency in latencies:
            best = faster(cells, latency)
            values = per_repeat(cells, (best, latency, 1), ("def-route", latency, 1), rps)
            slower = per_repeat(cells, (other(best), latency, 1), ("def-route", latency, 1), rps)
            add(
                f"L = {latency} ms: list / def-route, faster mode ({best})",
                values,
                DEF_ROUTE_MULTIPLE,
                note=f"{other(best)}: {spread(slower, 2)}",
            )
    if 20 in latencies:
        limit = CONNECTIONS / 0.020
        for mode in (*MODES, *PINNED):
            if (mode, 20, 1) in cells:
                rates = per_repeat(cells, (mode, 20, 1), None, rps)
                values = [rate / limit for rate in rates]
                # Where the time beyond L goes: a connection's round (its request, the
                # 20 ms, the answer), by Little's law, and how late the loop's timers ran.
                rounds = [CONNECTIONS / rate * 1000 for rate in rates]
                late = per_repeat(cells, (mode, 20, 1), None, lambda c: float(c["lag_p50_ms"]))
                note = (
                    f"a connection's round: {spread(rounds, 2)} ms; the loop's timers "
                    f"ran {spread(late, 2)} ms late (median)"
                )
                add(
                    f"L = 20 ms: list / limit ({limit:.0f} req/s), {mode}",
                    values,
                    LIMIT_SHARE,
                    note=note,
                )
                # The same share of what the stack reaches at L when a request does nothing
                # but wait: the limit as this machine's loopback, wrk and uvicorn allow it.
                if ("wait", 20, 1) in cells:
                    values = per_repeat(cells, (mode, 20, 1), ("wait", 20, 1), rps)
                    add(f"L = 20 ms: list / wait control, {mode}", values, LIMIT_SHARE)
        if ("wait", 20, 1) in cells:
            rates = per_repeat(cells, ("wait", 20, 1), None, rps)
            rounds = [CONNECTIONS / rate * 1000 for rate in rates]
            rows.append(
                {
                    "target": f"L = 20 ms: wait control / limit ({limit:.0f} req/s), for reference",
                    "values": [rate / limit for rate in rates],
                    "threshold": "",
                    "verdict": "-",
                    "note": f"a connection's round: {spread(rounds, 2)} ms",
                }
            )
    busy = []
    for mode in (*MODES, *PINNED, *LIGHT):
        for latency in latencies:
            key = (mode, latency, 1)
            if key not in cells:
                continue
            share = median(cells, key, "server_cpu")
            lags = per_repeat(cells, key, None, lambda c: float(c["lag_p99_ms"]))
            probes = per_repeat(cells, key, None, lambda c: float(c["probe_p99_ms"]))
            if share < BUSY:
                add(
                    f"loop lag p99 (ms), {mode}, L = {latency} ms (server {share:.0%})",
                    lags,
                    LAG_LIMIT_MS,
                    at_most=True,
                    note=f"health probe's answer p99: {spread(probes, 1)} ms",
                )
            else:
                busy.append(f"{mode} L={latency} ({share:.0%}: {statistics.median(lags):.0f} ms)")
    if ("no-metrics", 0, 1) in cells:
        values = per_repeat(cells, ("asyncio", 0, 1), ("no-metrics", 0, 1), cpu)
        add(
            "L = 0: CPU µs/req, metrics on / off, asyncio",
            [value - 1 for value in values],
            METRICS_COST,
            at_most=True,
            note="the share the metrics add: < 5%",
        )
    if busy:
        rows.append(
            {
                "target": "loop lag: cells at 80% of a core or more, where it does not apply",
                "values": [],
                "threshold": "",
                "verdict": "n/a",
                "note": "; ".join(busy),
            }
        )
    multi = sorted({key[2] for key in cells if key[2] > 1})
    for workers in multi:
        for variant in (*MODES, *PINNED, "constant"):
            key, single = (variant, 0, workers), (variant, 0, 1)
            if key not in cells:
                continue
            values = per_repeat(cells, key, single, rps)
            note = split_note(cells[key])
            if variant == "constant":
                rows.append(
                    {
                        "target": f"L = 0: {workers} processes / 1, constant (for reference)",
                        "values": values,
                        "threshold": "",
                        "verdict": "-",
                        "note": note,
                    }
                )
            else:
                add(f"L = 0: {workers} processes / 1, {variant}", values, 1.6, note=note)
    return rows


def split_note(repeats: dict[int, dict[str, Any]]) -> str:
    """wrk's connections held by each worker, in each repeat: `12/8, 20/0`. Results from
    before the harness counted them have none to give."""
    splits: list[list[int]] = [repeats[r].get("connections_split", []) for r in sorted(repeats)]
    if not all(splits):
        return ""
    return "connections per worker: " + ", ".join("/".join(map(str, s)) for s in splits)


def budget_table(cells: Cells) -> list[str]:
    """What each throughput target asks of a list request's CPU: the most it may take for
    `throughput` to give the wanted req/s, against the control of the same repeat; and how
    near the model comes to each cell's req/s from its own CPU per request."""
    latencies = sorted({key[1] for key in cells})
    wanted: list[tuple[str, Key, Key | None, float]] = []
    if 0 in latencies:
        # The faster mode's share for the asyncio mode where it is not; threadpool's own.
        at_zero = [("asyncio", BARE_SHARE_FASTER), ("threadpool", BARE_SHARE_THREADPOOL)]
        if faster(cells, 0) == "threadpool":
            at_zero.append(("threadpool", BARE_SHARE_FASTER))
        at_zero += [(variant, bare_share(mode)) for variant, mode in PINNED.items()]
        wanted += [
            (f"L = 0, {mode}, {ratio:g} of the bare route", (mode, 0, 1), ("constant", 0, 1), ratio)
            for mode, ratio in at_zero
        ]
    for latency in (1, 5):
        if latency in latencies:
            best = faster(cells, latency)
            route: Key = ("def-route", latency, 1)
            wanted += [(f"L = {latency} ms, {best}", (best, latency, 1), route, DEF_ROUTE_MULTIPLE)]
    if 20 in latencies:
        wanted += [
            (f"L = 20 ms, {mode}", (mode, 20, 1), None, LIMIT_SHARE) for mode in (*MODES, *PINNED)
        ]
    lines = [
        "| target | CPU µs/req it allows | CPU µs/req measured | measured / allowed "
        "| req/s measured / the model's |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, key, control, ratio in wanted:
        wait = key[1] / 1000
        allowed, measured, model = [], [], []
        for repeat, cell in sorted(cells.get(key, {}).items()):
            if control is None:
                goal = ratio * CONNECTIONS / wait
            elif repeat in cells.get(control, {}):
                goal = ratio * rps(cells[control][repeat])
            else:
                continue
            allowed.append(cpu_budget(CONNECTIONS, wait, goal) * 1e6)
            measured.append(cpu(cell))
            model.append(rps(cell) / throughput(CONNECTIONS, wait, cpu(cell) / 1e6))
        if not allowed:
            continue
        # No CPU at all allows a rate past what the connections' waits allow (20 / L): at
        # L = 5 ms, twice a `def` route that answers 2000 req/s is past 4000.
        budget = statistics.median(allowed)
        allows = spread(allowed) if budget else "none"
        over = f"{statistics.median(measured) / budget:.2f}" if budget else "past the limit"
        lines.append(f"| {name} | {allows} | {spread(measured)} | {over} | {spread(model, 2)} |")
    return lines


def targets_table(cells: Cells) -> list[str]:
    lines = [
        "| target | median | spread (per repeat) | wanted | verdict | note |",
        "| --- | ---: | ---: | ---: | --- | --- |",
    ]
    for row in targets(cells):
        values = sorted(row["values"])
        middle = f"{statistics.median(values):.2f}" if values else ""
        span = f"{values[0]:.2f}-{values[-1]:.2f}" if len(values) > 1 else ""
        lines.append(
            f"| {row['target']} | {middle} | {span} | {row['threshold']} | {row['verdict']} "
            f"| {row['note']} |"
        )
    return lines


# A cell during which the rest of the machine used more of a core than this was measured
# while something else took the cores: bench/run.py measures it again (Plan.retries times
# at most; Plan.retry_budget in all), and keeps the last try.
CONTENDED = 0.3


def others(cell: dict[str, Any]) -> float:
    """Share of a core the rest of the machine used during the cell: not the server, wrk or
    the probe (the harness, the kernel's own work, anything else running)."""
    return float(cell["machine_cpu"] - cell["server_cpu"] - cell["wrk_cpu"] - cell["probe_cpu"])


def machine_line(results: dict[str, Any]) -> str:
    facts, plan = results["machine"], results["plan"]
    mhz = facts["cpu_mhz"] + facts.get("cpu_mhz_after", [])
    speed = f"{min(mhz):.0f}-{max(mhz):.0f} MHz reported" if mhz else "speed unknown"
    rest = [others(cell) for cell in results["cells"]]
    busy = sum(1 for share in rest if share > 0.25)
    waited = sum(cell.get("waited_for_quiet_s", 0) for cell in results["cells"])
    return (
        f"Template {facts.get('template_commit', '?')[:7]}; "
        f"{facts['cpus']} cores ({facts['cpu_model']}, {speed}), Python {facts['python']}, "
        f"load average {' '.join(facts['loadavg'])} before; {plan['repeats']} repeats of "
        f"{plan['seconds_per_cell']:g} s per cell, {results['wall_seconds']:.0f} s in all. "
        f"The rest of the machine used {statistics.median(rest):.0%} of a core per cell "
        f"(median; {busy} of {len(rest)} cells over 25%; {waited:.0f} s waited for quiet)."
    )


def markdown(results: dict[str, Any]) -> str:
    cells = index(results)
    lines = [
        machine_line(results),
        "",
        "Each cell: median over the repeats (min-max in brackets).",
        "",
        *results_table(cells),
        "",
        *cpu_table(cells),
        "",
        *targets_table(cells),
        "",
        *budget_table(cells),
    ]
    if results.get("metrics_under_load"):
        lines += [
            "",
            "GET /metrics halfway through 4 s of the same load (asyncio, the longest L):",
            "",
            "```text",
            results["metrics_under_load"],
            "```",
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else RESULTS
    print(markdown(json.loads(path.read_text())), end="")


if __name__ == "__main__":
    main()
