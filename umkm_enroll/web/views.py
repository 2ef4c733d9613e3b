from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html")


@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and docker-compose: answers only when the database does."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
