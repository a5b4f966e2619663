"""The admin's forms: the editor's reason, the version the editor opened, and the rules
on a whole inline list."""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from factbase.core import reasons
from factbase.core.reasons import reason_text


class ReasonFieldMixin:
    """The editor's reason, checked as every reason is (factbase.core.reasons): a form whose
    write adds words before it ("Reverted to version 3") sets `reason_prefix`."""

    reason_prefix = ""

    def clean_change_reason(self):
        reason = self.cleaned_data.get("change_reason", "")
        reason_text(reason, prefix=self.reason_prefix)  # a form error when it does not fit
        return reason


def reason_field() -> forms.CharField:
    return forms.CharField(
        label="Reason for this change",
        max_length=reasons.MAX_LENGTH,
        required=False,
        help_text="Optional; kept in the record's history.",
    )


class TrackedAdminForm(ReasonFieldMixin, forms.ModelForm):
    """Carries the version the editor opened, so a save over someone else's newer
    change is refused instead of silently undoing it; and the editor's reason, kept in
    the record's history."""

    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    change_reason = reason_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and not self.is_bound:
            # Read from the table: on the history "revert" page the instance is the old one.
            current = type(self.instance)._default_manager.filter(pk=self.instance.pk)
            self.initial["loaded_version"] = current.values_list("version", flat=True).first()

    def clean(self):
        cleaned = super().clean()
        loaded = cleaned.get("loaded_version")
        if self.instance.pk is not None and loaded is None and "loaded_version" not in self.errors:
            # A page that does not say what it showed cannot be checked against what is
            # stored since: saved, it could undo a change made meanwhile, unseen.
            raise ValidationError(
                "This form does not say which version of the record it showed. Open the "
                "record again, then redo your change."
            )
        if self.instance.pk is not None and loaded is not None:
            current = (
                type(self.instance)
                ._default_manager.filter(pk=self.instance.pk)
                .values_list("version", "updated_by__username", "updated_at")
                .first()
            )
            if current is not None and current[0] != loaded:
                who = current[1] or "another process"
                raise ValidationError(
                    f"{who} changed this record at {current[2]:%Y-%m-%d %H:%M} UTC after you "
                    "opened it. Open it again to see their change, then redo yours."
                )
        return cleaned


class ReasonForm(ReasonFieldMixin, forms.Form):
    """The reason asked for by the delete and restore pages, checked like the edit
    forms' (length, no NUL character)."""

    change_reason = reason_field()

    def __init__(self, *args, reason_prefix: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.reason_prefix = reason_prefix


def error_text(error: ValidationError | forms.Form) -> str:
    if isinstance(error, forms.Form):
        return " ".join(" ".join(texts) for texts in error.errors.values())
    if hasattr(error, "error_dict"):
        return " ".join(
            f"{field}: {' '.join(texts)}" for field, texts in error.message_dict.items()
        )
    return " ".join(error.messages)


class ListRules:
    """An inline list checked as a whole by its model's `list_errors` (aliases that only
    case tells apart: factbase.core.aliases; the same words cited twice), as
    services.record_write checks it: each error on the row it names, before anything is
    written. A mixin of inline formsets."""

    def clean(self):
        super().clean()
        rows = [
            form
            for form in self.forms
            if not self._should_delete_form(form)
            and (not form.instance._state.adding or form.has_changed())
        ]
        found = self.model.list_errors(
            [form.instance for form in rows],
            [form.instance._state.adding or form.has_changed() for form in rows],
        )
        for form, errors in zip(rows, found, strict=True):
            for field, messages in errors.items():
                form.add_error(field, messages)


class ListRulesFormSet(ListRules, BaseInlineFormSet):
    pass
