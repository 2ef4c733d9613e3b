from django.urls import path

from . import views

app_name = "cooperatives"
urlpatterns = [
    path("", views.cooperative_list, name="list"),
    path("baru/", views.cooperative_create, name="create"),
    path("<int:pk>/", views.cooperative_detail, name="detail"),
    path("<int:pk>/ubah/", views.cooperative_edit, name="edit"),
]
