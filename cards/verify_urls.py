from django.urls import path

from . import views

app_name = "verify"
urlpatterns = [
    path("kunci-publik/", views.public_key, name="public_key"),
    path("<str:token>/", views.verify_page, name="page"),
    path("<str:token>/json/", views.verify_json, name="json"),
]
