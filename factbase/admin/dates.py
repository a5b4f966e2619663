"""Partial dates in the admin: one text input for the date, read by the grammar in
factbase.core.dates ("15 Jun 2024", "June 2024", "Q2 2024", "2024"), beside the precision
menu. TrackedAdmin installs it on its forms and its inlines' forms for every (date,
precision) pair a model declares in `partial_dates`, so no admin declares it."""

import datetime

from django import forms
from django.core.exceptions import ValidationError

from factbase.core.dates import (
    ACCEPTED_FORMS,
    format_partial_date,
    parse_partial_date,
    with_chosen_precision,
)


class PartialDateInput(forms.TextInput):
    def __init__(self, attrs=None):
        super().__init__({"size": 16, "placeholder": "e.g. Jun 2024", **(attrs or {})})


class PartialDateField(forms.CharField):
    """Text read as a PartialDate (its date and the precision its form says), or None."""

    widget = PartialDateInput

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "help_text", f"One of: {ACCEPTED_FORMS}. The precision follows from what is typed."
        )
        super().__init__(required=False, **kwargs)

    def clean(self, value):
        text = super().clean(value)
        return parse_partial_date(text) if text else None

    def has_changed(self, initial, data):
        # "Jun 2024" shown and "June 2024" sent are the same date: an inline row left
        # as it was is not rewritten.
        return _read(initial) != _read(data)


def _read(text):
    try:
        return parse_partial_date(text) if text else None
    except ValidationError:
        return text


class PartialDateFormMixin:
    """Shows each partial date in the form of its precision and, on save, takes the
    precision from what was typed, or from the menu when an editor chose one that agrees
    (2024-06-01 as a month) there; a menu left as the record had it follows a retyped
    date. One error per date, on the date: nothing else is checked of a
    pair whose date cannot be read."""

    partial_date_pairs: tuple[tuple[str, str], ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for date_field, precision_field in self.partial_date_pairs:
            value = self.initial.get(date_field)
            if isinstance(value, datetime.date):
                precision = self.initial.get(precision_field) or ""
                self.initial[date_field] = format_partial_date(value, precision)

    def clean(self):
        for date_field, precision_field in self.partial_date_pairs:
            self._clean_partial_date(date_field, precision_field)
        return super().clean()

    def _clean_partial_date(self, date_field: str, precision_field: str) -> None:
        if date_field in self._errors or precision_field in self._errors:
            # Leave the stored pair as it is, so the model reports nothing more about it.
            self.cleaned_data.pop(date_field, None)
            self.cleaned_data.pop(precision_field, None)
            return
        typed = self.cleaned_data.get(date_field)
        if typed is None:
            return  # no date: a precision without one is the model's error
        chosen = self.cleaned_data.get(precision_field)
        if date_field in self.changed_data and precision_field not in self.changed_data:
            # The date was retyped and the menu left as it was: it still shows the old
            # date's precision, which nobody chose for the new one.
            chosen = ""
        try:
            value, precision = with_chosen_precision(typed, chosen)
        except ValidationError as error:
            self.add_error(date_field, error)
            self.cleaned_data.pop(precision_field, None)
            return
        self.cleaned_data[date_field] = value
        self.cleaned_data[precision_field] = precision


def partial_date_form(form_class: type[forms.ModelForm]) -> type[forms.ModelForm]:
    """`form_class` with a PartialDateField for each partial date of its model that it
    edits with its precision; `form_class` itself when there is none."""
    fields = form_class.base_fields
    pairs = tuple(
        (date_field, precision_field)
        for date_field, precision_field in getattr(form_class._meta.model, "partial_dates", ())
        if date_field in fields and precision_field in fields
    )
    if not pairs:
        return form_class
    inputs = {
        date_field: PartialDateField(label=fields[date_field].label) for date_field, _ in pairs
    }
    attrs = {**inputs, "partial_date_pairs": pairs, "__module__": form_class.__module__}
    return type(form_class.__name__, (PartialDateFormMixin, form_class), attrs)
