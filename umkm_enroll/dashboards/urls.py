from django.urls import path

from . import views

app_name = "dashboards"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("target/", views.target_list, name="target_list"),
    path("target/baru/", views.target_create, name="target_create"),
    path("target/impor/", views.target_import, name="target_import"),
    path("target/<int:pk>/", views.target_edit, name="target_edit"),
    path("target/<int:pk>/hapus/", views.target_remove, name="target_remove"),
    path("laporan/", views.report_list, name="report_list"),
    path("laporan/buat/", views.report_generate, name="report_generate"),
    path("laporan/<int:pk>/pdf/", views.report_download, {"fmt": "pdf"}, name="report_pdf"),
    path("laporan/<int:pk>/xlsx/", views.report_download, {"fmt": "xlsx"}, name="report_xlsx"),
]
