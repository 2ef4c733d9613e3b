from django.urls import path

from umkm_enroll.exports.views import list_export_view

from . import views
from .models import Member

app_name = "members"
urlpatterns = [
    path("", views.member_list, name="list"),
    path("ekspor/", list_export_view("people", Member), name="export"),
    path("baru/", views.member_create, name="create"),
    path("pemberi-kerja/", views.employer_lookup, name="employer_lookup"),
    path("data-ganda/", views.duplicate_list, name="duplicates"),
    path("data-ganda/<int:pk>/", views.duplicate_resolve, name="duplicate_resolve"),
    path("<int:pk>/", views.member_detail, name="detail"),
    path("<int:pk>/ubah/", views.member_edit, name="edit"),
    path("<int:pk>/nik/", views.member_reveal_nik, name="reveal_nik"),
]
