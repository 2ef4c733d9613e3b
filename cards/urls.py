from django.urls import path

from umkm_enroll.exports.views import list_export_view

from . import batch_views, views
from .models import Card

app_name = "cards"
urlpatterns = [
    path("", views.card_list, name="list"),
    path("ekspor/", list_export_view("cards", Card), name="export"),
    path("cetak/", batch_views.batch_list, name="batch_list"),
    path("cetak/<int:pk>/", batch_views.batch_detail, name="batch_detail"),
    path("cetak/<int:pk>/unduh/", batch_views.batch_download, name="batch_download"),
    path("<int:pk>/", views.card_detail, name="detail"),
    path("<int:pk>/aksi/", views.card_action, name="action"),
    path("terbitkan/<int:pk>/", views.card_issue, name="issue"),
]
