"""The closed-loop model bench/report.py states the throughput targets' CPU budgets with:
that it is the model it says, and that it explains the committed cells."""

import importlib
import json
from types import ModuleType

import pytest

from tests.conftest import ROOT


@pytest.fixture
def report(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    return importlib.import_module("report")


def test_with_no_wait_the_core_is_the_limit(report: ModuleType) -> None:
    # Every request queues for the one core: a request's CPU is all that bounds the rate.
    for connections in (1, 5, 20):
        assert report.throughput(connections, 0.0, 0.001) == pytest.approx(1000)


def test_with_a_cheap_request_the_connections_are_the_limit(report: ModuleType) -> None:
    # Each connection has one request waiting 20 ms at a time: 20 / 0.020 s at the most.
    assert report.throughput(20, 0.020, 1e-7) == pytest.approx(1000, rel=1e-3)
    assert report.throughput(20, 0.020, 0.0005) < 1000


def test_one_connection_takes_its_wait_and_its_cpu_in_turn(report: ModuleType) -> None:
    # Nothing to queue behind: each request takes the wait and the CPU, one after another.
    assert report.throughput(1, 0.005, 0.001) == pytest.approx(1 / 0.006)


def test_the_budget_is_the_cpu_that_gives_the_wanted_rate(report: ModuleType) -> None:
    for connections, wait, wanted in [(20, 0.0, 1250), (20, 0.001, 1300), (20, 0.020, 950)]:
        budget = report.cpu_budget(connections, wait, wanted)
        assert report.throughput(connections, wait, budget) == pytest.approx(wanted, rel=1e-3)
        assert report.throughput(connections, wait, budget * 1.05) < wanted


def test_the_model_gives_each_committed_cell_its_rate_from_its_cpu(report: ModuleType) -> None:
    # docs/performance.md reads each target as a CPU budget on the strength of this: for
    # every cell whose requests only queue at the server's core, the rate the model gives
    # from the cell's CPU per request is the rate wrk measured, within 10%. At L = 20 ms,
    # where the server runs below a core, a round also takes what the model does not know
    # of (a late timer, wake-ups, the loopback and wrk: about 1 ms, the docs' breakdown),
    # so there the cells come under the model, or just over it: its queue at the core is
    # that of requests whose CPU varies as much as it can (exponential, as mean-value
    # analysis takes it), and at 80% of a core on a slow host (76e2053's run) requests
    # that vary less waited less, and the cells came up to 4% over it. A cell the
    # harness measured while the rest of the machine took a core's CONTENDED share or more
    # (its tries for it spent) had no core of its own to queue for: the model is not its.
    results = json.loads((ROOT / "bench/results/results.json").read_text())
    checked = 0
    for cell in results["cells"]:
        if cell["workers"] != 1 or cell["variant"] in ("naive", "constant"):
            continue  # the naive control holds the loop; the constant does no round trip
        if report.others(cell) > report.CONTENDED:
            continue
        connections = 5 if "5 connections" in cell["variant"] else 20
        wait = cell["latency_ms"] / 1000
        modelled = report.throughput(connections, wait, cell["cpu_us_per_request"] / 1e6)
        if cell["latency_ms"] < 20:
            assert cell["rps"] / modelled == pytest.approx(1, abs=0.1), cell
        else:
            assert 0.8 < cell["rps"] / modelled < 1.05, cell
        checked += 1
    assert checked >= 20


def test_a_target_past_the_connections_limit_is_said_so_not_divided_by_zero(
    report: ModuleType,
) -> None:
    # A quick run on a fast host: the def route at L = 5 ms answered 2120 req/s, and twice
    # that is past 20 / L = 4000, which no CPU allows; the report stopped with a
    # ZeroDivisionError.
    cell = {"rps": 3237.0, "cpu_us_per_request": 253.0}
    cells = {
        ("asyncio", 5, 1): {0: cell},
        ("threadpool", 5, 1): {0: {"rps": 2193.0, "cpu_us_per_request": 433.0}},
        ("def-route", 5, 1): {0: {"rps": 2120.0, "cpu_us_per_request": 491.0}},
    }
    [row] = [line for line in report.budget_table(cells) if line.startswith("| L = 5 ms")]
    assert row.startswith("| L = 5 ms, asyncio | none | 253 | past the limit |"), row
