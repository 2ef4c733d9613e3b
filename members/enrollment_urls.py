from django.urls import path

from umkm_enroll.exports.views import list_export_view

from . import enrollment_views as views
from .models import Enrollment

app_name = "enrollments"
urlpatterns = [
    path("", views.enrollment_list, name="list"),
    path("ekspor/", list_export_view("enrollments", Enrollment), name="export"),
    path("antrean/", views.enrollment_queue, name="queue"),
    path("antrean/massal/", views.enrollment_bulk, name="bulk"),
    path("baru/<int:pk>/", views.enrollment_create, name="create"),
    path("<int:pk>/", views.enrollment_detail, name="detail"),
    path("<int:pk>/ubah/", views.enrollment_edit, name="edit"),
    path("<int:pk>/ajukan/", views.enrollment_submit, name="submit"),
    path("<int:pk>/putuskan/", views.enrollment_decide, name="decide"),
    path("<int:pk>/akhiri/", views.enrollment_end, name="end"),
]
