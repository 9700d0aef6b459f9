"""Errors as RFC 9457 problem details: domain exceptions in, one mapping out."""

import logging
import uuid
from collections.abc import Callable, Coroutine, Mapping
from http import HTTPStatus
from typing import Any, ClassVar

import oracledb
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
# Seconds a client should wait before retrying after a 503 for lack of capacity.
RETRY_AFTER = "1"


class Problem(BaseModel):
    """The body of every error response (RFC 9457)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None


# The error responses a resource route can give, for the OpenAPI document. FastAPI files
# a response model under application/json; the schema is referenced for problem+json too.
PROBLEM_SCHEMA = {"$ref": "#/components/schemas/Problem"}
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "model": Problem,
        "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}},
        "description": status.phrase,
    }
    for status in (
        HTTPStatus.NOT_FOUND,
        HTTPStatus.CONFLICT,
        HTTPStatus.UNPROCESSABLE_ENTITY,
        HTTPStatus.SERVICE_UNAVAILABLE,
        HTTPStatus.GATEWAY_TIMEOUT,
    )
}


class ServiceError(Exception):
    """An error the service expects; its status and detail go to the client as they are."""

    status = HTTPStatus.INTERNAL_SERVER_ERROR
    headers: ClassVar[Mapping[str, str] | None] = None

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFoundError(ServiceError):
    status = HTTPStatus.NOT_FOUND

    def __init__(self, resource: str, key: object) -> None:
        super().__init__(f"{resource} {key} does not exist")


class ConflictError(ServiceError):
    """The request clashes with what is stored, such as a unique value already taken."""

    status = HTTPStatus.CONFLICT


class VersionConflictError(ConflictError):
    """An update sent the version it read, but someone else has changed the row since."""

    def __init__(self, resource: str, key: object, *, current: int, sent: int) -> None:
        super().__init__(
            f"{resource} {key} is at version {current}, not {sent}; read it again and retry"
        )


class DatabaseUnavailableError(ServiceError):
    status = HTTPStatus.SERVICE_UNAVAILABLE


class OverloadedError(ServiceError):
    """Every database thread is busy and enough calls already wait: try again shortly."""

    status = HTTPStatus.SERVICE_UNAVAILABLE
    headers: ClassVar[Mapping[str, str] | None] = {"Retry-After": RETRY_AFTER}


# python-oracledb and Oracle error codes, and what each means to a client.
UNAVAILABLE = "Oracle is unreachable; try again later"
ORACLE_ERRORS: dict[str, tuple[HTTPStatus, str]] = {
    "DPY-6005": (HTTPStatus.SERVICE_UNAVAILABLE, UNAVAILABLE),  # cannot connect
    "DPY-6001": (HTTPStatus.SERVICE_UNAVAILABLE, UNAVAILABLE),  # service not registered
    "DPY-6000": (HTTPStatus.SERVICE_UNAVAILABLE, UNAVAILABLE),  # listener refused
    "DPY-4011": (HTTPStatus.SERVICE_UNAVAILABLE, UNAVAILABLE),  # connection closed
    "DPY-1001": (HTTPStatus.SERVICE_UNAVAILABLE, UNAVAILABLE),  # not connected
    "ORA-01017": (HTTPStatus.SERVICE_UNAVAILABLE, UNAVAILABLE),  # credentials refused
    "ORA-01033": (HTTPStatus.SERVICE_UNAVAILABLE, UNAVAILABLE),  # starting up
    "ORA-01034": (HTTPStatus.SERVICE_UNAVAILABLE, UNAVAILABLE),  # not available
    "ORA-01089": (HTTPStatus.SERVICE_UNAVAILABLE, UNAVAILABLE),  # shutting down
    "ORA-03113": (HTTPStatus.SERVICE_UNAVAILABLE, UNAVAILABLE),  # end of file on channel
    "ORA-03114": (HTTPStatus.SERVICE_UNAVAILABLE, UNAVAILABLE),  # not connected
    "ORA-03135": (HTTPStatus.SERVICE_UNAVAILABLE, UNAVAILABLE),  # connection lost
    "ORA-12514": (HTTPStatus.SERVICE_UNAVAILABLE, UNAVAILABLE),  # unknown service
    "ORA-12541": (HTTPStatus.SERVICE_UNAVAILABLE, UNAVAILABLE),  # no listener
    "DPY-4005": (HTTPStatus.SERVICE_UNAVAILABLE, "No database connection was free in time"),
    "DPY-4024": (HTTPStatus.GATEWAY_TIMEOUT, "The database call took too long"),
    "ORA-00001": (HTTPStatus.CONFLICT, "A unique value is already taken"),
    "ORA-02291": (HTTPStatus.UNPROCESSABLE_ENTITY, "A referenced record does not exist"),
    "ORA-02292": (HTTPStatus.CONFLICT, "Other records still refer to this one"),
}


def problem(
    request: Request,
    status: HTTPStatus,
    detail: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """An application/problem+json response (RFC 9457)."""
    body = {
        "type": "about:blank",
        "title": status.phrase,
        "status": status.value,
        "detail": detail,
        "instance": request.url.path,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


async def handle_service_error(request: Request, exc: ServiceError) -> JSONResponse:
    return problem(request, exc.status, exc.detail, headers=exc.headers)


async def handle_oracle_error(request: Request, exc: oracledb.Error) -> JSONResponse:
    """Map a python-oracledb error by its code; never pass its text to the client."""
    code = oracle_error_code(exc)
    if code not in ORACLE_ERRORS:
        return internal_error(request, exc)
    status, detail = ORACLE_ERRORS[code]
    logger.warning("%s %s: %s", request.method, request.url.path, exc)
    headers = {"Retry-After": RETRY_AFTER} if code == "DPY-4005" else None
    return problem(request, status, f"{detail} ({code})", headers=headers)


async def handle_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [
        {"loc": list(error["loc"]), "msg": error["msg"], "type": error["type"]}
        for error in exc.errors()
    ]
    detail = "The request is not valid; see errors"
    return problem(request, HTTPStatus.UNPROCESSABLE_ENTITY, detail, errors=errors)


async def handle_http_error(request: Request, exc: HTTPException) -> JSONResponse:
    return problem(request, HTTPStatus(exc.status_code), exc.detail, headers=exc.headers)


async def handle_unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    return internal_error(request, exc)


def internal_error(request: Request, exc: Exception) -> JSONResponse:
    """500 with a correlation id; the detail goes only to the log."""
    correlation_id = uuid.uuid4().hex
    logger.error(
        "%s %s failed (correlation id %s)",
        request.method,
        request.url.path,
        correlation_id,
        exc_info=exc,
    )
    detail = f"Something went wrong; quote correlation id {correlation_id}"
    return problem(request, HTTPStatus.INTERNAL_SERVER_ERROR, detail, correlation_id=correlation_id)


def oracle_error_code(exc: oracledb.Error) -> str:
    """The DPY-/ORA- code of a python-oracledb error, like "DPY-6005"."""
    error = exc.args[0] if exc.args else None
    return str(getattr(error, "full_code", ""))


Handler = Callable[[Request, Any], Coroutine[Any, Any, Response]]

EXCEPTION_HANDLERS: dict[int | type[Exception], Handler] = {
    ServiceError: handle_service_error,
    oracledb.Error: handle_oracle_error,
    RequestValidationError: handle_validation_error,
    HTTPException: handle_http_error,
    Exception: handle_unexpected_error,
}
