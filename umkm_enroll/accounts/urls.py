from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("akun/login/", views.LoginView.as_view(), name="login"),
    path("akun/logout/", views.LogoutView.as_view(), name="logout"),
    path("akun/2fa/", views.otp_verify, name="otp_verify"),
    path("akun/2fa/pasang/", views.otp_setup, name="otp_setup"),
    path("kelola/kantor/", views.office_list, name="office_list"),
    path("kelola/kantor/baru/", views.office_create, name="office_create"),
    path("kelola/kantor/<int:pk>/", views.office_detail, name="office_detail"),
    path("kelola/kantor/<int:pk>/ubah/", views.office_edit, name="office_edit"),
    path("kelola/pengguna/", views.user_list, name="user_list"),
    path("kelola/pengguna/baru/", views.user_create, name="user_create"),
    path("kelola/pengguna/<int:pk>/", views.user_detail, name="user_detail"),
    path("kelola/pengguna/<int:pk>/ubah/", views.user_edit, name="user_edit"),
    path("kelola/pengguna/<int:pk>/sandi/", views.user_set_password, name="user_set_password"),
    path("kelola/pengguna/<int:pk>/reset-2fa/", views.user_reset_two_factor, name="user_reset_two_factor"),
]
