"""The benchmark's order of cells (bench/scenarios.py): each list is measured beside the
control its target divides it by, the order turning round from one repeat to the next."""

import importlib
from types import ModuleType

import pytest

from tests.conftest import ROOT


@pytest.fixture
def scenarios(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    return importlib.import_module("scenarios")


def blocks(scenarios: ModuleType, quick: bool) -> dict[tuple[int, int], list[str]]:
    """(repeat, L) -> the variants measured there, in order (`name|processes`)."""
    plan = scenarios.plan(quick, 4)
    measured: dict[tuple[int, int], list[str]] = {}
    for repeat, cell in plan.schedule():
        measured.setdefault((repeat, cell.latency_ms), []).append(f"{cell.variant}|{cell.workers}")
    return measured


@pytest.mark.parametrize("quick", [False, True])
def test_every_cell_runs_once_in_every_repeat(scenarios: ModuleType, quick: bool) -> None:
    plan = scenarios.plan(quick, 4)
    for (repeat, latency), variants in blocks(scenarios, quick).items():
        assert sorted(variants) == sorted(
            f"{cell.variant}|{cell.workers}" for cell in plan.cells(latency)
        ), (repeat, latency)


@pytest.mark.parametrize("quick", [False, True])
def test_each_list_is_measured_beside_its_control(scenarios: ModuleType, quick: bool) -> None:
    for (_, latency), variants in blocks(scenarios, quick).items():

        def apart(cell: str, control: str, variants: list[str] = variants) -> int:
            return abs(variants.index(f"{cell}|1") - variants.index(f"{control}|1"))

        if latency == 0:
            assert apart("asyncio", "constant") == 1
            assert apart("threadpool", "constant") == 1
            assert apart("threadpool, one core", "constant") <= 2
            assert apart("no-metrics", "asyncio") <= 2
        elif "def-route|1" in variants:
            assert apart("asyncio", "def-route") == 1
        if "wait|1" in variants:
            assert apart("asyncio", "wait") <= 2


def test_the_order_turns_round_from_one_repeat_to_the_next(scenarios: ModuleType) -> None:
    measured = blocks(scenarios, False)
    for (repeat, latency), variants in measured.items():
        if repeat % 2:
            assert variants == measured[repeat - 1, latency][::-1]
