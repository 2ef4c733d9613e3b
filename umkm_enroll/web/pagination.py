"""API pagination with the same capped count as the pages (umkm_enroll.web.listing)."""

from __future__ import annotations

from typing import Any, cast

from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from .listing import CappedPaginator


class CappedPageNumberPagination(PageNumberPagination):
    django_paginator_class = CappedPaginator
    page_size = 50

    def get_paginated_response(self, data: Any) -> Response:
        assert self.page is not None
        paginator = cast(CappedPaginator, self.page.paginator)
        return Response(
            {
                "count": min(paginator.count, paginator.cap),
                "count_is_capped": paginator.capped,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count_is_capped"] = {
            "type": "boolean",
            "description": "True when there are more results than `count` says.",
        }
        return response
