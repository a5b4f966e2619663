"""Who may do what through the API: Django's model permissions for writes (an editor's
group grants them), reads open to anyone or to any signed-in user (API_READ_REQUIRES_LOGIN).

DRF's classes build the view's whole queryset to learn its model even for a read, which
needs no permission at all: these answer a read without it (the read path's queryset is
the costliest thing to build before the rows are read), and check a write as DRF does."""

from rest_framework import permissions


class _ReadsNeedNoModelPermission:
    def has_permission(self, request, view):
        required = self.perms_map.get(request.method)
        if required == [] and not getattr(view, "_ignore_model_permissions", False):
            # What DRF's has_permission comes to when the method needs no permission.
            user = request.user
            return bool(user and (user.is_authenticated or not self.authenticated_users_only))
        return super().has_permission(request, view)


class ModelPermissions(_ReadsNeedNoModelPermission, permissions.DjangoModelPermissions):
    """Signed-in users read; writes need the model's add, change or delete permission."""


class ModelPermissionsOrAnonReadOnly(
    _ReadsNeedNoModelPermission, permissions.DjangoModelPermissionsOrAnonReadOnly
):
    """Anyone reads; writes need the model's add, change or delete permission."""
