"""Oracle, unreachable for real, four ways: nothing listens on the port, a listener that
accepts and never says a word (a hung database), a listener that knows no such service,
and a host name that never resolves."""

import socket
import struct
import threading
from collections.abc import Callable, Iterator
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
def listening(answer: Callable[[socket.socket], None]) -> Iterator[int]:
    """A local port whose listener hands each connection it accepts to `answer`, on a
    thread of its own; the port, while it listens."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=64)
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            with suppress(TimeoutError):
                answer(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        listener.close()


@contextmanager
def silent_oracle() -> Iterator[int]:
    """A port that accepts TCP connections and never says a word: a hung database."""
    accepted: list[socket.socket] = []
    try:
        with listening(accepted.append) as port:
            yield port
    finally:
        for connection in accepted:
            connection.close()


def refusal(code: int) -> bytes:
    """A TNS REFUSE packet (type 4), as a listener sends for a service it does not know
    (12514): the driver raises DPY-6001 for it, under DPY-6005 (`_connect_phase_one`,
    impl/thin/protocol.pyx)."""
    text = f"(DESCRIPTION=(TMP=)(VSNNUM=0)(ERR={code})(ERROR_STACK=(ERROR=(CODE={code}))))"
    data = struct.pack(">HH", 0, len(text)) + text.encode()
    return struct.pack(">HHBBH", 8 + len(data), 0, 4, 0, 0) + data


@contextmanager
def refusing_oracle() -> Iterator[int]:
    """A port whose listener answers each connect: no such service (ORA-12514)."""

    def refuse(connection: socket.socket) -> None:
        with connection, suppress(OSError):
            connection.settimeout(5)
            connection.recv(65_536)  # the driver's CONNECT
            connection.sendall(refusal(12514))

    with listening(refuse) as port:
        yield port
