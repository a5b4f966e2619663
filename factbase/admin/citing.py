"""Citing from a source's text, where it meets a fact's own page: the citation a "new fact
from these words" link carries to a kind's add form (the first row of its citations
inline, offsets included), and the "see in source" link of a citation, to its place in the
source reader (factbase.admin.reader)."""

from django import forms
from django.urls import reverse
from django.utils.html import format_html

# The query parameters that carry a citation to a kind's add form. Named apart from any
# field of a fact, which the add form would take as its own initial values.
PREFILL_PARAMS = {
    "source": "cite_source",
    "quote": "cite_quote",
    "translation": "cite_translation",
    "char_start": "cite_start",
    "char_end": "cite_end",
}

OFFSET_FIELDS = ("char_start", "char_end")


def prefill_query(source_id: int, quote: str, start: int, end: int, translation: str) -> dict:
    """The query parameters of an add form whose first citation is these words."""
    values = {
        "source": source_id,
        "quote": quote,
        "translation": translation,
        "char_start": start,
        "char_end": end,
    }
    return {PREFILL_PARAMS[name]: value for name, value in values.items() if value != ""}


def citation_prefill(query) -> dict | None:
    """The citation carried by `query` (a request's GET) as the initial values of a
    citations inline row, or None when it carries none (or not a whole one)."""
    values = {name: query.get(param, "") for name, param in PREFILL_PARAMS.items()}
    numbers = (values["source"], values["char_start"], values["char_end"])
    if not values["quote"] or not all(n.isascii() and n.isdigit() and len(n) < 10 for n in numbers):
        return None
    return {**values, **{name: int(values[name]) for name in ("source", *OFFSET_FIELDS)}}


class PrefilledCitationForm(forms.ModelForm):
    """A citations inline row that may come prefilled from a source's text. A new row
    holding what the link carried counts as changed, so it is saved with the fact (Django
    saves an extra row only when it differs from its initial values); the editor removes
    the row to leave it out."""

    def has_changed(self):
        prefilled = self.instance._state.adding and bool(self.initial.get("quote"))
        return prefilled or super().has_changed()


def prefilled_formset(formset, prefill: dict):
    """`formset` (a class) whose first new row starts with `prefill`."""

    class Prefilled(formset):
        def __init__(self, *args, **kwargs):
            kwargs.setdefault("initial", [prefill])
            super().__init__(*args, **kwargs)

    return Prefilled


def source_anchor(citation_id: int) -> str:
    """The id of a citation's place in the source reader."""
    return f"citation-{citation_id}"


def source_url(source_id: int, citation_id: int) -> str:
    """The source reader at this citation."""
    change = reverse("admin:factbase_source_change", args=[source_id])
    return f"{change}#{source_anchor(citation_id)}"


def see_in_source(citation) -> str:
    """A link to the citation's place in its source's text; empty for a row not saved."""
    if citation is None or not (citation.pk and citation.source_id):
        return ""
    url = source_url(citation.source_id, citation.pk)
    return format_html('<a href="{}" class="see-in-source">See in source</a>', url)
