from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from umkm_enroll.accounts.access import no_data


@no_data
@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html")


@no_data
@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and docker-compose: answers only when the database does."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """The page of a form posted with a stale or missing CSRF token (CSRF_FAILURE_VIEW): in the app's
    layout and language, saying that nothing was saved and what to do."""
    return render(request, "403_csrf.html", status=403)
