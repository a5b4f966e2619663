"""Pickers for long lists (countries, regions, currencies, languages): a select with a
search box, showing names and storing codes. The search box is the select2 the admin ships
for its autocomplete fields, here on options held in the page."""

from django import forms
from django.conf import settings
from django.contrib.admin.widgets import get_select2_language

from .languages import language_choices, language_label

# A list longer than this is searched rather than scrolled (the statuses and qualifiers
# stay plain selects; the countries and currencies do not).
SEARCHABLE_FROM = 30


class SearchableSelect(forms.Select):
    """A select searched as one types. A stored value the options do not hold is offered
    as it is, selected, so that saving the form never replaces it unseen."""

    def __init__(self, attrs=None, choices=(), *, free_text: bool = False):
        attrs = {"class": "searchable-select", "data-theme": "admin-autocomplete", **(attrs or {})}
        if free_text:  # a value outside the list may be typed; the field's validators judge it
            attrs["data-free-text"] = "true"
        super().__init__(attrs, choices)

    def label_of(self, value: str) -> str:
        """How a stored value outside the list reads."""
        return value

    def optgroups(self, name, value, attrs=None):
        groups = super().optgroups(name, value, attrs)
        offered = {str(option["value"]) for _, options, _ in groups for option in options}
        for missing in (str(v) for v in value if v not in (None, "") and str(v) not in offered):
            option = self.create_option(name, missing, self.label_of(missing), True, len(groups))
            groups.append((None, [option], len(groups)))
        return groups

    @property
    def media(self):
        # The same files, in the same order, as the admin's autocomplete widgets: a page
        # with both loads jQuery and select2 once.
        extra = "" if settings.DEBUG else ".min"
        language = get_select2_language()
        i18n = (f"admin/js/vendor/select2/i18n/{language}.js",) if language else ()
        return forms.Media(
            js=(
                f"admin/js/vendor/jquery/jquery{extra}.js",
                f"admin/js/vendor/select2/select2.full{extra}.js",
                *i18n,
                "admin/js/jquery.init.js",
                "factbase/admin/searchable.js",
            ),
            css={
                "screen": (
                    f"admin/css/vendor/select2/select2{extra}.css",
                    "admin/css/autocomplete.css",
                    "factbase/admin/forms.css",
                )
            },
        )


class LanguageSelect(SearchableSelect):
    """A source's language, picked by name ('Français — French (fr)') and stored as its
    BCP 47 tag. Another tag can be typed; the model's validator checks it."""

    def __init__(self, attrs=None, choices=()):
        super().__init__(attrs, [("", "---------"), *language_choices()], free_text=True)

    def label_of(self, value: str) -> str:
        return language_label(value)


class SearchableChoicesMixin:
    """For a model admin or inline: long lists of choices as searchable selects."""

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if len(db_field.choices) > SEARCHABLE_FROM and db_field.name not in self.radio_fields:
            kwargs.setdefault("widget", SearchableSelect)
        return super().formfield_for_choice_field(db_field, request, **kwargs)
