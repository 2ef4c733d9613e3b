from django.urls import path

from . import views

app_name = "cards"
urlpatterns = [
    path("<int:pk>/", views.card_detail, name="detail"),
    path("<int:pk>/aksi/", views.card_action, name="action"),
    path("terbitkan/<int:pk>/", views.card_issue, name="issue"),
]
