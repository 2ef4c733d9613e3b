from django.urls import path

from . import views_files

# Included at /iuran/berkas/ in the `contributions` namespace.
urlpatterns = [
    path("", views_files.payment_file_upload, name="payment_file_upload"),
    path("rekonsiliasi/", views_files.reconciliation, name="reconciliation"),
    path("<int:pk>/", views_files.payment_file_detail, name="payment_file_detail"),
    path("<int:pk>/proses-ulang/", views_files.payment_file_reprocess, name="payment_file_reprocess"),
]
