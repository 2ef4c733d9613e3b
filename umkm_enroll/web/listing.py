"""List pages: pagination that keeps the current filters in its links."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest


def paginate(request: HttpRequest, items: Any, per_page: int = 50) -> dict[str, Any]:
    paginator = Paginator(items, per_page)
    page: Page = paginator.get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return {"page_obj": page, "paginator": paginator, "querystring": params.urlencode()}
