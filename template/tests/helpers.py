"""What the route tests of every resource share: a create that must succeed, a problem."""

from typing import Any

import httpx


async def create(client: httpx.AsyncClient, path: str, body: dict[str, object]) -> dict[str, Any]:
    """POST a body the API must accept; what it answers, the stored resource."""
    response = await client.post(path, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """Assert the response is problem JSON (RFC 9457) with this status; its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    return problem
