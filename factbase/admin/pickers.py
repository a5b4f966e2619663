"""The admin's pickers of records (`autocomplete_fields`), safe with any value posted.

Django's autocomplete widgets look the posted value up to show it selected, also when the
form comes back to say that it is no valid choice: a value that is no id (`abc`, `1.5`,
thirty digits) reached the database, which refused it, a server error in place of the
field's message. Here such a value is not looked up; the field says it is not a valid
choice, as it does for an id that names nothing. A list of records (a product's
platforms) is checked the same way before it is looked up."""

from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError
from django.forms import ModelMultipleChoiceField

from factbase.core.ids import id_from


def _by_id(field) -> bool:
    """Whether the relation `field` names its records by a numbered id."""
    target = field.target_field
    return target.primary_key and target.get_internal_type() in ("AutoField", "BigAutoField")


class _IdsOnly:
    def optgroups(self, name, value, attr=None):
        if _by_id(self.field):
            value = [v for v in value if v in (None, "") or id_from(str(v)) is not None]
        return super().optgroups(name, value, attr)


class RecordPicker(_IdsOnly, AutocompleteSelect):
    pass


class RecordsPicker(_IdsOnly, AutocompleteSelectMultiple):
    pass


class RecordsField(ModelMultipleChoiceField):
    """A list of records by id: a value that is no id is refused before any lookup (a
    number past any id reached the database, which refused it)."""

    def _check_values(self, value):
        for pk in value if isinstance(value, list | tuple) else ():
            if isinstance(pk, str) and pk and id_from(pk) is None:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)


class RecordPickersMixin:
    """For a model admin or an inline: its autocomplete fields as the pickers above, and
    its lists of records checked as RecordsField does."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = RecordPicker(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = RecordsPicker(db_field, self.admin_site, using=kwargs.get("using"))
        if _by_id(db_field):
            kwargs.setdefault("form_class", RecordsField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)
