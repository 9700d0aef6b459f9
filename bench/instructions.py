"""Instructions per request, counted by callgrind: a CPU cost the host cannot move.

    python bench/instructions.py     # scripts/bench --instructions; about 8 minutes

On these shared machines the clock speed drifts by half within minutes, so one cell's CPU
time per request moves by more than a small change costs (docs/performance.md). valgrind's
callgrind counts the instructions a process executes instead, the same on every run. Each
variant renders the service, drives its app in process (bench/inprocess.py: no uvicorn,
no sockets, 20 requests at a time on the stand-in pool at L = 0), and counts the
instructions of a run of FEW and of MANY requests; their difference over MANY - FEW is one
request's, with startup, imports and the warm-up cancelled out. Two runs go at once, one
per core. Besides both modes' list and the bare route, it counts the steps between them
(bench/service.py's /control/params, dependency, bridge and fetch), which say where a list
request's instructions go. Writes bench/results/instructions.json and .md; the target:
the Prometheus metrics add at most 5% to a list request.
"""

import json
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
FEW, MANY = 200, 1200
LIST = "/books?limit=20"
# name: (mode, path, METRICS_ENABLED)
VARIANTS: dict[str, tuple[str, str, bool]] = {
    "asyncio": ("asyncio", LIST, True),
    "asyncio, metrics off": ("asyncio", LIST, False),
    "threadpool": ("threadpool", LIST, True),
    "constant": ("asyncio", "/control/constant", True),
    # The steps from the bare route to the list (bench/service.py), asyncio mode.
    "params": ("asyncio", "/control/params?limit=20", True),
    "dependency": ("asyncio", "/control/dependency?limit=20", True),
    "bridge": ("asyncio", "/control/bridge?limit=20", True),
    "fetch": ("asyncio", "/control/fetch?limit=20", True),
}
# The breakdown table: each step, what it adds to the one before.
STEPS = {
    "constant": "the bare route, through the whole middleware stack",
    "params": "+ `limit` and `offset`, two validated query parameters",
    "dependency": "+ the repository dependency (the repository, on the request's database)",
    "bridge": "+ one call through the bridge that does nothing",
    "fetch": "+ the list's own call instead: SELECT, 21 rows, one page validation",
    "asyncio": "+ the page serialized: GET /books?limit=20 itself",
}
METRICS_TARGET = 0.05


def instructions(project: Path, path: str, metrics: bool, requests: int) -> int:
    """Instructions callgrind counts for one run of `requests` requests to `path`."""
    from server import environment

    with tempfile.TemporaryDirectory() as temporary:
        out = Path(temporary) / "callgrind.out"
        command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
        command += [sys.executable, str(HERE / "inprocess.py"), path, str(requests)]
        env = environment(project, 0, metrics)
        ran = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if ran.returncode != 0:
            raise RuntimeError(f"{path} under callgrind failed:\n{ran.stderr[-3000:]}")
        totals = re.search(r"^(?:summary|totals): (\d+)", out.read_text(), re.M)
        if totals is None:
            raise RuntimeError(f"callgrind wrote no total for {path}")
        return int(totals.group(1))


def main() -> None:
    from server import MODES, render

    if shutil.which("valgrind") is None:
        sys.exit("valgrind is needed: apt-get install valgrind")
    results: dict[str, Any] = {"few": FEW, "many": MANY, "variants": {}}
    with tempfile.TemporaryDirectory() as temporary:
        projects = {mode: render(Path(temporary) / mode, mode) for mode in MODES}
        runs = [
            (name, count, projects[mode], path, metrics)
            for name, (mode, path, metrics) in VARIANTS.items()
            for count in (FEW, MANY)
        ]
        with ThreadPoolExecutor(max_workers=2) as pool:
            counted = list(pool.map(lambda run: instructions(run[2], run[3], run[4], run[1]), runs))
    for (name, count, *_), total in zip(runs, counted, strict=True):
        results["variants"].setdefault(name, {})[str(count)] = total
    for totals in results["variants"].values():
        totals["per_request"] = (totals[str(MANY)] - totals[str(FEW)]) / (MANY - FEW)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "instructions.json").write_text(json.dumps(results, indent=2) + "\n")
    table = markdown(results)
    (RESULTS / "instructions.md").write_text(table)
    print(table, end="")


def markdown(results: dict[str, Any]) -> str:
    per = {name: totals["per_request"] for name, totals in results["variants"].items()}
    lines = [
        f"Instructions per request (callgrind; {results['many']} requests less "
        f"{results['few']}, in process, 20 at a time, L = 0):",
        "",
        "| variant | instructions / request | / constant |",
        "| --- | ---: | ---: |",
        *(
            f"| {name} | {count / 1e6:.3f} M | {count / per['constant']:.2f} |"
            for name, count in per.items()
        ),
    ]
    lines += [
        "",
        "Where a list request's instructions go, asyncio mode, step by step:",
        "",
        "| step | instructions / request | added |",
        "| --- | ---: | ---: |",
    ]
    previous = None
    for name, step in STEPS.items():
        added = "" if previous is None else f"{(per[name] - previous) / 1e6:+.3f} M"
        lines.append(f"| {step} | {per[name] / 1e6:.3f} M | {added} |")
        previous = per[name]
    added = per["asyncio"] / per["asyncio, metrics off"] - 1
    verdict = "PASS" if added <= METRICS_TARGET else "FALL SHORT"
    lines += [
        "",
        f"The Prometheus metrics add {added:.1%} to a list request "
        f"(target at most {METRICS_TARGET:.0%}): {verdict}.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
