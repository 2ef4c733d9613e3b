from django.urls import path

from . import views

app_name = "exports"
urlpatterns = [
    path("unduh/<int:pk>/", views.export_download, name="download"),
]
