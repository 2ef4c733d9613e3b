from django.urls import include, path

from umkm_enroll.exports.views import list_export_view

from . import views, views_lists
from .models import Bill, Payment

app_name = "contributions"
urlpatterns = [
    path("penagihan/", views.billing_runs, name="billing_runs"),
    path("peserta/<int:pk>/", views.statement, name="statement"),
    path("peserta/<int:pk>/bayar/", views.payment_create, name="payment_create"),
    path("tagihan/", views_lists.bill_list, name="bill_list"),
    path("tagihan/ekspor/", list_export_view("bills", Bill), name="bill_export"),
    path("pembayaran/", views_lists.payment_list, name="payment_list"),
    path("pembayaran/ekspor/", list_export_view("payments", Payment), name="payment_export"),
    path("pembayaran/<int:pk>/batal/", views.payment_reverse, name="payment_reverse"),
    path("program/", include("contributions.urls_programmes")),
    path("tunggakan/", include("contributions.urls_arrears")),
    path("berkas/", include("contributions.urls_files")),
    path("tarif/", include("contributions.urls_tariffs")),
]
