"""Oracle, unreachable for real, four ways: nothing listens on the port, a listener that
accepts and never says a word (a hung database), a listener that knows no such service,
and a host name that never resolves."""

import socket
import struct
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
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def refuse() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            with suppress(TimeoutError):
                connection = listener.accept()[0]
                with connection, suppress(OSError):
                    connection.settimeout(5)
                    connection.recv(65_536)  # the driver's CONNECT
                    connection.sendall(refusal(12514))

    thread = threading.Thread(target=refuse, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        listener.close()
