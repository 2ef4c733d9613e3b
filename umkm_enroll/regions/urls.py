from django.urls import path, re_path

from . import views

app_name = "regions"
urlpatterns = [
    path("", views.index, name="index"),
    path("cari/", views.lookup, name="lookup"),
    path("ump/", views.minimum_wages, name="minimum_wages"),
    # A province ("52"), regency ("52.71") or district ("52.71.01"): villages have no page of their own.
    re_path(r"^(?P<code>\d{2}(?:\.\d{2}){0,2})/$", views.detail, name="detail"),
]
