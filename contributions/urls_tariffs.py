"""Tariffs, under /iuran/tarif/ in the `contributions` namespace."""

from django.urls import path

from . import views_tariffs as views

urlpatterns = [
    path("", views.tariff_list, name="tariff_list"),
    path("skema/baru/", views.scheme_create_view, name="scheme_create"),
    path("skema/<int:pk>/", views.scheme_detail, name="scheme_detail"),
    path("skema/<int:pk>/ubah/", views.scheme_edit, name="scheme_edit"),
    path("skema/<int:pk>/tarif-baru/", views.scheme_version, name="scheme_version"),
    path("kelompok/baru/", views.bracket_create_view, name="bracket_create"),
    path("kelompok/<int:pk>/ubah/", views.bracket_edit, name="bracket_edit"),
]
