"""Paging, shared by every resource: the query parameters a list takes and the page it gives."""

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Generic, Self, TypeVar

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
    def of(cls, rows: Sequence[Item | Mapping[str, Any]], *, limit: int, offset: int) -> Self:
        """The page of up to `limit + 1` rows read at `offset`: one more tells there is more.

        Rows given as their fields (a `Table.from_row`'s) are validated into items here,
        all in one call.
        """
        more = len(rows) > limit
        page = {"items": rows[:limit], "limit": limit, "offset": offset, "has_more": more}
        return cls.model_validate(page)
