"""Amounts in the admin: a text input for every decimal of a record, read on the server by
factbase.core.quantities ("€600M", "about 5.8 bn", "600,000,000"), with the value as it
will be stored shown beside it as the editor types (factbase/quantities.js) and, on a
stored record, the value as stored. TrackedAdmin installs it on its forms and its inlines'
forms (`amount_form`), so no admin declares it.

The browser's number input would drop what it cannot read ("€600M" sent as 600, or as
nothing): a text input sends what was typed, and the server refuses what it cannot read,
naming the field.

Django's admin shows a stored decimal with every place of its column (600000000.0000) in
change lists and read-only fields, with no setting to change it: its display function is
replaced, for decimals only, by one that writes them as every page does (format_number).
"""

from decimal import Decimal

from django import forms
from django.contrib.admin import helpers as admin_helpers
from django.contrib.admin import utils as admin_utils
from django.contrib.admin.templatetags import admin_list
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.html import format_html

from factbase.core.quantities import (
    AmountInput,
    agree,
    format_number,
    format_quantity,
    parse_amount,
)

SCRIPT = "factbase/quantities.js"
EXAMPLES = "e.g. 600000000, 600,000,000, 600M, 5.8 bn, €600M, about $1.2B."


class AmountWidget(forms.TextInput):
    """A text input, then the live reading of what is typed (filled by the script), then,
    for a stored record, the value as stored."""

    stored = ""  # set per form, on the form's own copy of the widget

    class Media:
        js = (SCRIPT,)

    def render(self, name, value, attrs=None, renderer=None):
        html = super().render(name, value, attrs, renderer)
        input_id = (attrs or {}).get("id") or self.attrs.get("id") or f"id_{name}"
        stored = (
            format_html('<div class="help">Stored: {}</div>', self.stored) if self.stored else ""
        )
        return format_html(
            '{}<output id="{}_preview" for="{}" class="help amount-preview" aria-live="polite">'
            "</output>{}",
            html,
            input_id,
            input_id,
            stored,
        )


class AmountField(forms.CharField):
    """An amount typed as text, read as a Decimal; what it says of its currency and
    qualifier is checked against the form's by AmountFormMixin."""

    widget = AmountWidget

    def __init__(self, *, field_name: str, spec: AmountInput, max_digits, decimal_places, **kw):
        self.field_name, self.spec = field_name, spec
        self.max_digits, self.decimal_places = max_digits, decimal_places
        examples = EXAMPLES if spec.qualifier or spec.currency or spec.currency_is else ""
        kw["help_text"] = " ".join(filter(None, (kw.get("help_text"), examples)))
        super().__init__(**kw)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        spec = self.spec
        return {
            **attrs,
            "data-amount": "",
            "data-field": self.field_name,
            "data-qualifier-field": spec.qualifier or "",
            "data-currency-field": spec.currency or "",
            "data-currency-is": spec.currency_is,
            "data-max-digits": self.max_digits,
            "data-decimal-places": self.decimal_places,
            "autocomplete": "off",
            "spellcheck": "false",
            "size": 24,
        }

    def read(self, text):
        """The amount `text` states, or ValidationError with the grammar's message."""
        try:
            return parse_amount(
                text, max_digits=self.max_digits, decimal_places=self.decimal_places
            )
        except ValueError as error:
            raise ValidationError(str(error), code="invalid") from error

    def to_python(self, value):
        text = super().to_python(value)
        return self.read(text).value if text else None

    def prepare_value(self, value):
        # A stored value reads as it would be typed: 600,000,000, not 600000000.0000.
        return format_number(value) if isinstance(value, Decimal) else value

    def has_changed(self, initial, data):
        # "600M" sent for 600000000.0000 stored is no change: an inline row left as it
        # was is not rewritten.
        try:
            if isinstance(initial, str):
                initial = self.to_python(initial)
            return self.to_python(data) != initial
        except ValidationError:
            return True


class AmountFormMixin:
    """Applies factbase.core.quantities.agree to each amount: "about €600M" fills an empty
    qualifier and currency, and is refused, naming the amount, beside another one chosen."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = self.instance
        if instance.pk is None:
            return
        for name, field in self.amount_fields():
            value = getattr(instance, name, None)
            if value is not None:
                qualifier, currency = self.partners(field.spec, instance.__dict__)
                field.widget.stored = format_quantity(value, None, qualifier, currency)

    def amount_fields(self):
        return [(n, f) for n, f in self.fields.items() if isinstance(f, AmountField)]

    @staticmethod
    def partners(spec: AmountInput, values: dict) -> tuple[str, str]:
        qualifier = values.get(spec.qualifier, "") if spec.qualifier else ""
        currency = spec.currency_is or (values.get(spec.currency, "") if spec.currency else "")
        return qualifier or "", currency or ""

    def clean(self):
        cleaned = super().clean()
        for name, field in self.amount_fields():
            if cleaned.get(name) is None or field.disabled:
                continue
            amount = field.read(self[name].data)
            names = [n for n in (field.spec.qualifier, field.spec.currency) if n]
            chosen = {n: self._chosen(n) for n in names}
            labels = {n: str(self.fields[n].label).lower() for n in names if n in self.fields}
            try:
                fills = agree(name, amount, field.spec, chosen, labels)
            except ValidationError as error:
                self.add_error(None, error)
                continue
            for partner, value in fills.items():
                if partner in self.fields and not self.fields[partner].disabled:
                    cleaned[partner] = value
                else:
                    what = partner.replace("_", " ")
                    self.add_error(
                        name, f"The text gives the {what}, which this form does not edit."
                    )
        return cleaned

    def _update_errors(self, errors):
        # The model judged an amount it could not be given: one the editor typed and the
        # field could not read is None to it, so its complaints about that field ("a
        # qualifier needs a value") would stand beside the field's own error for a value
        # nobody left out.
        unread = {name for name, _ in self.amount_fields() if name in self._errors}
        if unread and hasattr(errors, "error_dict"):
            kept = {name: e for name, e in errors.error_dict.items() if name not in unread}
            if not kept:
                return
            errors = ValidationError(kept)
        super()._update_errors(errors)

    def _chosen(self, name: str) -> str:
        if name in self.fields:
            return self.cleaned_data.get(name) or ""
        return getattr(self.instance, name, "") or ""


def amount_form(form_class: type[forms.ModelForm]) -> type[forms.ModelForm]:
    """`form_class` with an AmountField for each decimal of its model that it edits;
    `form_class` itself when there is none."""
    model = form_class._meta.model
    fields = form_class.base_fields
    inputs = {}
    for f in model._meta.concrete_fields:
        if isinstance(f, models.DecimalField) and f.name in fields:
            spec = getattr(model, "quantity_inputs", {}).get(f.name, AmountInput())
            inputs[f.name] = AmountField(
                field_name=f.name,
                spec=spec,
                max_digits=f.max_digits,
                decimal_places=f.decimal_places,
                required=fields[f.name].required,
                label=fields[f.name].label,
                help_text=fields[f.name].help_text,
            )
    if not inputs:
        return form_class
    return type(
        form_class.__name__,
        (AmountFormMixin, form_class),
        {**inputs, "__module__": form_class.__module__},
    )


# --- showing stored decimals -----------------------------------------------------------

_django_display_for_field = admin_utils.display_for_field


def display_for_field(value, field, empty_value_display, avoid_link=False):
    if isinstance(field, models.DecimalField) and value is not None and not field.choices:
        return format_number(value)
    return _django_display_for_field(value, field, empty_value_display, avoid_link)


for _module in (admin_utils, admin_helpers, admin_list):
    _module.display_for_field = display_for_field
