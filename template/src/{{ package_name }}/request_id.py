"""A request id for every request: in the X-Request-ID header and in every log record.

A client's own X-Request-ID is kept when it looks like one; otherwise the service makes
one. The id lives in a context variable, so log records written on an executor thread
carry it too (the bridge copies the context into the thread). With tracing, the request's
span carries it as well.
"""

import json
import logging
import re
import secrets
from contextvars import ContextVar
from datetime import UTC, datetime

from opentelemetry import trace
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "X-Request-ID"
request_id: ContextVar[str] = ContextVar("request_id", default="-")
ACCEPTED = re.compile(r"[A-Za-z0-9._-]{1,64}")
# The request span's attribute for the id, named as OpenTelemetry names a response header.
SPAN_ATTRIBUTE = "http.response.header.x-request-id"


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get(HEADER, "")
        # Otherwise 128 random bits, 32 hex digits: a uuid4's hex, less the UUID object
        # made for it, which cost 1% of a list request (bench/).
        current = given if ACCEPTED.fullmatch(given) else secrets.token_hex(16)
        # Not reset afterwards: each request runs in a task of its own, and the handler of
        # last resort (500s), which runs outside this middleware, still needs it.
        request_id.set(current)
        # FastAPI's span for the request, when there is one; without tracing, a no-op.
        trace.get_current_span().set_attribute(SPAN_ATTRIBUTE, [current])

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = current
            await send(message)

        await self.app(scope, receive, send_with_id)


class RequestIdFilter(logging.Filter):
    """Puts the current request id on each record, as `request_id`, for formatters."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class OneLineFormatter(logging.Formatter):
    """One line per record: a driver error's second line ("Help: ...") or a traceback
    would otherwise reach the log as lines of their own, with no time or request id."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\r", "\\r").replace("\n", "\\n")


class JsonFormatter(logging.Formatter):
    """One JSON object per record, for a log collector: time (UTC), level, logger, request
    id, message, and the exception's traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str = "INFO", log_format: str = "text") -> None:
    """Log to stderr with time, level, logger and request id, unless logging is set up:
    as text lines, or as JSON objects, uvicorn's own records among them."""
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
        # uvicorn gave its loggers handlers of their own; in JSON they write through this one.
        for name in ("uvicorn", "uvicorn.access"):
            uvicorn_logger = logging.getLogger(name)
            uvicorn_logger.handlers = [handler]
            uvicorn_logger.propagate = False
    else:
        handler.setFormatter(
            OneLineFormatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        )
    root.addHandler(handler)
    root.setLevel(level)
