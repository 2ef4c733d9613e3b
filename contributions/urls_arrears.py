from django.urls import path

from umkm_enroll.exports.views import export_download, list_export_view

from . import views_arrears as views
from .models import Bill

# Included at /iuran/tunggakan/ in the `contributions` namespace.
urlpatterns = [
    path("", views.arrears_list, name="arrears"),
    path("ekspor/", list_export_view("arrears", Bill), name="arrears_export"),
    # Kept for the download links of arrears export jobs made before the shared export (/ekspor/unduh/).
    path("unduh/<int:pk>/", export_download, name="arrears_download"),
]
