from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django_htmx.middleware import HtmxDetails

from umkm_enroll.accounts.access import reference
from umkm_enroll.accounts.scoping import scope_of
from umkm_enroll.web.listing import paginate

from . import selectors
from .edition import LEVELS, EditionError, level_of
from .models import Province, Regency, RegionBase, Village


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


LEVEL_LABELS = {
    "province": _("Province"),
    "regency": _("Regency or city"),
    "district": _("District"),
    "village": _("Village"),
}
LEVEL_PLURAL_LABELS = {
    "province": _("Provinces"),
    "regency": _("Regencies and cities"),
    "district": _("Districts"),
    "village": _("Villages"),
}
SEARCH_PAGE_SIZE = 50
VILLAGE_PAGE_SIZE = 50
# A lookup without a parent is a search across the country: answer with the best few only.
LOOKUP_LIMIT = 50
LOOKUP_LIMIT_WITH_PARENT = 1000


@reference
@login_required
def index(request: HtmxHttpRequest) -> HttpResponse:
    """The provinces with their counts, and a search by name (or code) at one level, optionally within one
    region (`parent`)."""
    q = request.GET.get("q", "").strip()
    level = request.GET.get("level", "village")
    if level not in LEVEL_LABELS:
        level = "village"
    parent = selectors.region_get(request.GET.get("parent", "").strip())
    if parent is not None and LEVELS.index(level_of(parent.code)) >= LEVELS.index(level):
        parent = None
    context: dict[str, object] = {
        "q": q,
        "level": level,
        "levels": LEVEL_LABELS.items(),
        "level_label": LEVEL_LABELS[level],
        "parent": parent,
    }
    if q:
        results = selectors.regions_search(
            level=level, q=q, parent=parent.code if parent else "", active_only=False
        )
        context.update(paginate(request, results, SEARCH_PAGE_SIZE))
    if request.htmx and request.htmx.target == "search-results":
        return render(request, "regions/_search_results.html", context)
    context["provinces"] = selectors.provinces_with_counts()
    context["totals"] = selectors.region_totals()
    context["editions"] = selectors.region_editions()
    return render(request, "regions/index.html", context)


@reference
@login_required
def detail(request: HttpRequest, code: str) -> HttpResponse:
    """A province, regency or district with the regions one level below it (villages paginated)."""
    region = selectors.region_get(code)
    if region is None or isinstance(region, Village):
        raise Http404
    level = level_of(code)
    child_level = LEVELS[LEVELS.index(level) + 1]
    context: dict[str, object] = {
        "region": region,
        "level": level,
        "level_label": LEVEL_LABELS[level],
        "child_level": child_level,
        "child_label": LEVEL_PLURAL_LABELS[child_level],
        "ancestors": selectors.region_ancestors(code),
        "search_levels": [
            (key, label) for key, label in LEVEL_LABELS.items() if key in LEVELS[LEVELS.index(level) + 1 :]
        ],
    }
    if isinstance(region, Province):
        children: object = selectors.regencies_with_counts(code)
    elif isinstance(region, Regency):
        children = selectors.districts_with_counts(code)
    else:
        context.update(paginate(request, selectors.villages_of_district(code), VILLAGE_PAGE_SIZE))
        children = context["page_obj"]
    context["children"] = children
    return render(request, "regions/detail.html", context)


def _region_option(region: RegionBase) -> dict[str, str]:
    option = {"code": region.code, "name": region.name}
    if isinstance(region, Regency):
        option["kind"] = region.kind
    elif isinstance(region, Village):
        option["kind"] = region.kind
        option["postal_code"] = region.postal_code
    return option


@reference
@login_required
def lookup(request: HtmxHttpRequest) -> HttpResponse:
    """Options for address fields: `?level=regency&q=lom&parent=52`.

    `parent` is any ancestor's code. For chained selects with htmx (`hx-include` of the parent select), the
    parent may also come as the parent level's field name (`province=52` for level=regency). Only active
    regions are offered. JSON by default; `<option>` elements for an htmx request.
    """
    level = request.GET.get("level", "")
    if level not in LEVEL_LABELS:
        return JsonResponse({"error": "level must be one of: " + ", ".join(LEVELS)}, status=400)
    q = request.GET.get("q", "").strip()
    parent = request.GET.get("parent", "").strip()
    if not parent and level != "province":
        parent = request.GET.get(LEVELS[LEVELS.index(level) - 1], "").strip()
    if parent:
        try:
            parent_level = level_of(parent)
        except EditionError:
            return JsonResponse({"error": "parent is not a region code"}, status=400)
        if LEVELS.index(parent_level) >= LEVELS.index(level):
            return JsonResponse({"error": "parent must be above the level"}, status=400)
    if not parent and not q and level in ("district", "village"):
        regions: list[RegionBase] = []
        truncated = False
    else:
        limit = LOOKUP_LIMIT_WITH_PARENT if parent or level == "province" else LOOKUP_LIMIT
        found = selectors.regions_search(level=level, q=q, parent=parent)
        if request.GET.get("mine") and level == "regency" and request.user.is_authenticated:
            # An address form: only the regencies where the user may register people.
            scope = scope_of(request.user)
            if not scope.everything:
                found = found.filter(code__in=sorted(scope.regency_codes))
        regions = list(found[: limit + 1])
        truncated = len(regions) > limit
        regions = regions[:limit]
    if request.htmx:
        return render(
            request,
            "regions/_options.html",
            {"regions": regions, "level_label": LEVEL_LABELS[level], "truncated": truncated},
        )
    return JsonResponse(
        {"level": level, "results": [_region_option(region) for region in regions], "truncated": truncated}
    )


@reference
@login_required
def minimum_wages(request: HttpRequest) -> HttpResponse:
    """Provincial minimum wages (UMP): provinces as rows, years as columns, gaps shown as gaps."""
    return render(request, "regions/minimum_wages.html", {"table": selectors.minimum_wage_table()})
