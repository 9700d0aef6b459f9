"""uvicorn's httptools protocol, with a bound on the size of a request's line and headers.

httptools buffers a request's line and headers however long they grow: a client that
sends header bytes without end holds that much of the server's memory (200 MB sent, 200
MB held), and a few such clients end the process. uvicorn's other parser, h11, bounds
them, but costs about a third more CPU a request. This protocol counts what arrives while
a request's head is incomplete and, past MAX_HEAD_BYTES, answers 431 and closes the
connection. Bodies are bounded by body_limit.py.

The Docker image and scripts/serve run uvicorn with it, as
`--http <package>.request_head:HeadLimitedProtocol`.
"""

import json
import logging

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# nginx takes 32 KiB of request headers by default, Node.js 16 KiB.
MAX_HEAD_BYTES = 65_536
STATUS = b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
PROBLEM = json.dumps(
    {
        "type": "about:blank",
        "title": "Request Header Fields Too Large",
        "status": 431,
        "detail": f"The request line and headers exceed {MAX_HEAD_BYTES} bytes",
    }
).encode()

logger = logging.getLogger(__name__)


class HeadLimitedProtocol(HttpToolsProtocol):
    # Bytes received of the request head being read; None once it is complete.
    head_bytes: int | None = None
    # Heads begun on this connection: a chunk in which one begins may end another request,
    # so it is not counted (at most one chunk, 256 KiB, more is held than the limit).
    heads_begun = 0

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.head_bytes = 0
        self.heads_begun += 1

    def on_headers_complete(self) -> None:
        self.head_bytes = None
        super().on_headers_complete()

    def data_received(self, data: bytes) -> None:
        begun = self.heads_begun
        super().data_received(data)
        if self.head_bytes is None or self.heads_begun != begun:
            return
        self.head_bytes += len(data)
        if self.head_bytes > MAX_HEAD_BYTES and not self.transport.is_closing():
            logger.warning("A request's head exceeded %d bytes: answered 431", MAX_HEAD_BYTES)
            self.head_bytes = None
            defaults = self.server_state.default_headers  # date, server
            headers = b"".join(name + b": " + value + b"\r\n" for name, value in defaults)
            self.transport.write(
                STATUS
                + headers
                + b"content-type: application/problem+json\r\n"
                + b"content-length: %d\r\nconnection: close\r\n\r\n" % len(PROBLEM)
                + PROBLEM
            )
            self.transport.close()
