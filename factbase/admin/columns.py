"""List columns under plain names: 'Value', not the 'Value display' Django makes of a
property's name."""

from django.contrib import admin


def shown(attribute: str, description: str, ordering: str | None = None):
    """A changelist column, or an inline's read-only field, showing the record's
    `attribute` (a property such as `value_display`) under `description`."""

    @admin.display(description=description, ordering=ordering)
    def column(modeladmin, obj):
        return getattr(obj, attribute)

    return column
