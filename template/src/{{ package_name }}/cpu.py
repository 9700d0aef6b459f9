"""One core for each process, when `WEB_PIN_CPU=true` asks for it (Linux only).

A process runs Python on one core at a time (the GIL), yet the kernel runs its threads on
any core. When a thread that waited for the GIL takes it from a thread on another core,
what both touch moves between the cores' caches with it, and each wait and wake-up is a
system call. The threadpool mode hands every database call to an executor thread and its
result back to the event loop, so a request pays for that several times: a list request
took 503 microseconds of CPU on two cores and 372 pinned to one (the template's bench/,
with the database at no distance). The asyncio mode runs on one thread and gains little.

With several worker processes (`WEB_CONCURRENCY`), each takes a core no other worker of
this service holds: the first of its allowed cores whose lock file (in the temporary
directory) is free. A lock goes with its process, so a worker started again takes the
core its predecessor left. Two services on one machine do not see each other's locks:
pin only where the service has its cores to itself (a container with a CPU set of its
own, or a machine it owns).
"""

import logging
import os
from contextlib import suppress
from pathlib import Path

logger = logging.getLogger(__name__)

# The lock files this process holds, open for as long as it lives: each is its claim.
_claims: list[int] = []


def pin_to_one_cpu(directory: Path, name: str) -> int | None:
    """Run every thread of this process, and those it starts later, on one allowed core
    that no other process of `name` holds. The core, or None when it runs unpinned: every
    core is held, or the system refused (logged; the service serves on either way)."""
    try:
        cpu = claim_a_cpu(directory, name)
        if cpu is not None:
            # The mask is each thread's own (sched_setaffinity(2)): the threads already
            # running (the event loop's helpers) each get it; those started later inherit it
            # from the thread that starts them. One started meanwhile by a thread not yet
            # pinned would not: so again, until a pass finds every thread pinned.
            unpinned = True
            while unpinned:
                unpinned = False
                for thread in Path("/proc/self/task").iterdir():
                    with suppress(ProcessLookupError):  # a thread that ended meanwhile
                        if os.sched_getaffinity(int(thread.name)) != {cpu}:
                            os.sched_setaffinity(int(thread.name), {cpu})
                            unpinned = True
    except OSError as exc:  # no lock file in `directory`, or no affinity for this process
        logger.warning("WEB_PIN_CPU: this process runs unpinned: %s", exc)
        return None
    if cpu is None:
        logger.warning(
            "WEB_PIN_CPU: every core this process may use is held by another process of "
            "the service; this one runs unpinned (WEB_CONCURRENCY is more than the cores)"
        )
        return None
    logger.info("This process runs on CPU %d (WEB_PIN_CPU)", cpu)
    return cpu


def claim_a_cpu(directory: Path, name: str) -> int | None:
    """The first allowed core whose lock file no other process holds, now held by this one."""
    import fcntl  # POSIX only; Settings refuses WEB_PIN_CPU where there is no affinity

    # Not through a symbolic link: in a shared temporary directory another user could
    # plant one where a lock file goes, to have this process create or open a file of theirs.
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW
    for cpu in sorted(os.sched_getaffinity(0)):
        claim = os.open(directory / f"{name}-cpu{cpu}.lock", flags, 0o600)
        try:
            fcntl.flock(claim, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(claim)
            continue
        _claims.append(claim)
        return cpu
    return None
