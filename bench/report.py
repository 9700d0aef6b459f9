"""Print bench/results/results.json as the markdown tables of docs/performance.md."""

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "results.json"


def main() -> None:
    results = json.loads(RESULTS.read_text())
    print(
        "| variant | endpoint | L (ms) | threads | req/s | limit | of limit | p50 (ms) "
        "| p99 (ms) | loop lag p99 (ms) | server CPU | wrk CPU | 503s |"
    )
    print(
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    )
    for cell in results["cells"]:
        latency, workers = cell["latency_ms"], cell["workers"]
        limit = workers / (latency / 1000) if latency and cell["variant"] == "service" else None
        share = f"{cell['rps'] / limit:.0%}" if limit else ""
        print(
            f"| {cell['variant']} | {cell['endpoint']} | {latency} | {workers} "
            f"| {cell['rps']:.0f} | {f'{limit:.0f}' if limit else ''} | {share} "
            f"| {cell['p50_ms']:.1f} | {cell['p99_ms']:.1f} | {cell['lag_p99_ms']:.1f} "
            f"| {cell['server_cpu']:.0%} | {cell['loadgen_cpu']:.0%} | {cell['non_2xx']} |"
        )
    overload = results["overload"]
    print()
    print("| status | responses | p50 (ms) | p99 (ms) |")
    print("| --- | ---: | ---: | ---: |")
    for status, row in overload["by_status"].items():
        print(f"| {status} | {row['count']} | {row['p50_ms']:.1f} | {row['p99_ms']:.1f} |")


if __name__ == "__main__":
    main()
