"""Sponsor programmes, under /iuran/program/ in the `contributions` namespace."""

from django.urls import path

from . import views_programmes as views

urlpatterns = [
    path("", views.programme_list, name="programme_list"),
    path("baru/", views.programme_create_view, name="programme_create"),
    path("ringkasan/", views.totals, name="totals"),
    path("<int:pk>/", views.programme_detail, name="programme_detail"),
    path("<int:pk>/ubah/", views.programme_edit, name="programme_edit"),
    path("<int:pk>/bayar/", views.programme_payment, name="programme_payment"),
    path("<int:pk>/tagihan/", views.programme_invoice, name="programme_invoice"),
]
