from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """The application's user: one account per person, in one office (see later migrations)."""
