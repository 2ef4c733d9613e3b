"""List pages: pagination that keeps the current filters in its links, with counts that stay cheap.

Counting a million rows to print "1.000.000 hasil" costs more than the page itself, so counts stop at
`cap` ("more than 10.000 results"); below it they are exact.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest, QueryDict

COUNT_CAP = 2_000


class CappedPaginator(Paginator):
    def __init__(self, *args: Any, cap: int = COUNT_CAP, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cap = cap

    @cached_property
    def count(self) -> int:
        items: Any = self.object_list
        if hasattr(items, "query") and items.query.low_mark == 0 and items.query.high_mark is None:
            # SELECT count(*) FROM (... LIMIT cap + 1): stops reading at the cap.
            return min(items.order_by()[: self.cap + 1].count(), self.cap + 1)
        return min(super().count, self.cap + 1)

    @property
    def capped(self) -> bool:
        return self.count > self.cap


def paginate(
    request: HttpRequest,
    items: Any,
    per_page: int = 50,
    params: QueryDict | None = None,
    cap: int = COUNT_CAP,
) -> dict[str, Any]:
    """One page of `items` and the query string of the other pages (`params` default to the request's)."""
    params = (params if params is not None else request.GET).copy()
    paginator = CappedPaginator(items, per_page, cap=cap)
    page: Page = paginator.get_page(params.get("page"))
    params.pop("page", None)
    return {"page_obj": page, "paginator": paginator, "querystring": params.urlencode()}
