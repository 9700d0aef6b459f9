"""Oracle, unreachable for real, three ways: nothing listens on the port, a listener that
accepts and never says a word (a hung database), and a host name that never resolves."""

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

# The .invalid domain is reserved never to resolve (RFC 2606).
UNRESOLVED_DSN = "oracle.invalid:1521/FREEPDB1"


def free_port() -> int:
    """A local port nothing listens on (unless someone takes it after this returns)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@contextmanager
def silent_oracle() -> Iterator[int]:
    """A port that accepts TCP connections and never says a word: a hung database."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            with suppress(TimeoutError):
                accepted.append(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for connection in [*accepted, listener]:
            connection.close()
