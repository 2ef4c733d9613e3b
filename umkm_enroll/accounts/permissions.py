"""API permissions. The default is DenyAll: an API view without explicit permissions answers nothing."""

from rest_framework.permissions import BasePermission


class DenyAll(BasePermission):
    def has_permission(self, request, view) -> bool:
        return False


def role_permission(*roles: str) -> type[BasePermission]:
    """A permission class admitting signed-in, second-factor-verified users holding one of `roles`."""

    class HasRole(BasePermission):
        def has_permission(self, request, view) -> bool:
            user = request.user
            if not (user and user.is_authenticated and user.is_active):
                return False
            if user.needs_two_factor and not user.is_verified():
                return False
            return not roles or user.has_role(*roles)

    HasRole.__name__ = "HasRole_" + "_".join(roles or ("any",))
    return HasRole


SignedIn = role_permission()
