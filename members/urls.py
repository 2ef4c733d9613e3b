from django.urls import path

from umkm_enroll.exports.views import list_export_view

from . import views, views_imports
from .models import Member

app_name = "members"
urlpatterns = [
    path("", views.member_list, name="list"),
    path("ekspor/", list_export_view("people", Member), name="export"),
    path("baru/", views.member_create, name="create"),
    path("pemberi-kerja/", views.employer_lookup, name="employer_lookup"),
    path("data-ganda/", views.duplicate_list, name="duplicates"),
    path("data-ganda/<int:pk>/", views.duplicate_resolve, name="duplicate_resolve"),
    path("impor/", views_imports.import_list, name="imports"),
    path("impor/baru/", views_imports.import_upload, name="import_upload"),
    path("impor/templat/", views_imports.import_template, name="import_template"),
    path("impor/<int:pk>/", views_imports.import_detail, name="import_detail"),
    path("impor/<int:pk>/kolom/", views_imports.import_mapping, name="import_mapping"),
    path("impor/<int:pk>/baris/", views_imports.import_rows, name="import_rows"),
    path("impor/<int:pk>/simpan/", views_imports.import_commit, name="import_commit"),
    path("impor/<int:pk>/laporan/", views_imports.import_report, name="import_report"),
    path("impor/<int:pk>/batal/", views_imports.import_cancel, name="import_cancel"),
    path("<int:pk>/", views.member_detail, name="detail"),
    path("<int:pk>/ubah/", views.member_edit, name="edit"),
    path("<int:pk>/nik/", views.member_reveal_nik, name="reveal_nik"),
]
