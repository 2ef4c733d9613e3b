from django.urls import include, path

from . import views

app_name = "contributions"
urlpatterns = [
    path("penagihan/", views.billing_runs, name="billing_runs"),
    path("peserta/<int:pk>/", views.statement, name="statement"),
    path("peserta/<int:pk>/bayar/", views.payment_create, name="payment_create"),
    path("pembayaran/<int:pk>/batal/", views.payment_reverse, name="payment_reverse"),
    path("program/", include("contributions.urls_programmes")),
    path("tunggakan/", include("contributions.urls_arrears")),
    path("berkas/", include("contributions.urls_files")),
]
