from django.urls import path

from . import views_arrears as views

# Included at /iuran/tunggakan/ in the `contributions` namespace.
urlpatterns = [
    path("", views.arrears_list, name="arrears"),
    path("ekspor/", views.arrears_export, name="arrears_export"),
    path("unduh/<int:pk>/", views.arrears_download, name="arrears_download"),
]
