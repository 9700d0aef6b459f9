"""Health probe: GET /health/live at a steady rate, each on a connection of its own, never
waiting for the previous one, as a load balancer's check would; a blocked loop shows as
long answers. Each answer also takes a new connection's work on both ends and this
process's share of the cores, so it is no measure of the loop's lag alone, which the
server reports itself (bench/service.py).

Usage: python probe.py PORT SECONDS RATE
  -> prints {"times": answer times in ms, "failed": probes with no answer} as JSON.
"""

import asyncio
import json
import sys
import time

REQUEST = b"GET /health/live HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"


async def once(port: int, times: list[float]) -> None:
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(REQUEST)
    await writer.drain()
    await reader.read()
    writer.close()
    times.append((time.perf_counter() - started) * 1000)


async def main(port: int, seconds: float, rate: float) -> None:
    times: list[float] = []
    tasks = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        tasks.append(asyncio.ensure_future(once(port, times)))
        await asyncio.sleep(1 / rate)
    done, pending = await asyncio.wait(tasks, timeout=30)
    for task in pending:
        task.cancel()
    failed = len(pending) + sum(1 for task in done if task.exception() is not None)
    print(json.dumps({"times": times, "failed": failed}))


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])))
