"""Paging, shared by every resource: the query parameters a list takes and the page it gives."""

from collections.abc import Sequence
from typing import Annotated, Generic, Self, TypeVar

from fastapi import Query
from pydantic import BaseModel

Limit = Annotated[int, Query(ge=1, le=100, description="Items per page")]
Offset = Annotated[int, Query(ge=0, le=100_000, description="Items to skip")]

Item = TypeVar("Item")


class Page(BaseModel, Generic[Item]):
    """One page of items, in id order; each resource names its own (`BookPage`)."""

    items: list[Item]
    limit: int
    offset: int
    has_more: bool

    @classmethod
    def of(cls, rows: Sequence[Item], *, limit: int, offset: int) -> Self:
        """The page of up to `limit + 1` rows read at `offset`: one more tells there is more."""
        return cls(items=list(rows[:limit]), limit=limit, offset=offset, has_more=len(rows) > limit)
