"""The staff groups: "editor" curates facts, "viewer" reads them in the admin.

Created (and brought up to date) after every `migrate`, and by `manage.py setup_groups`.
"""

from django.contrib.auth.models import Group, Permission

from .kinds import record_apps

EDITOR = "editor"
VIEWER = "viewer"


def ensure_groups() -> dict[str, int]:
    """Create the groups if needed and give them exactly their permissions.

    Returns the number of permissions each group holds.
    """
    permissions = Permission.objects.filter(content_type__app_label__in=record_apps())
    # Historical models share the app label; their admin needs no permissions of its own.
    permissions = permissions.exclude(codename__contains="historical")
    editor, _ = Group.objects.get_or_create(name=EDITOR)
    viewer, _ = Group.objects.get_or_create(name=VIEWER)
    editor.permissions.set(permissions)
    viewer.permissions.set(permissions.filter(codename__startswith="view_"))
    return {EDITOR: editor.permissions.count(), VIEWER: viewer.permissions.count()}
