"""The source reader, on a source's admin page: its stored text with every cited quote
highlighted and linked to the fact it supports, the list of those facts, and citing from
the text: the words an editor selects added as a citation to a fact, or a new fact begun
with them (factbase.admin.citing carries them to the kind's add form).

The text is split at the citations' offsets into segments, each rendered with the offset
at which it starts (`data-start`), so that the page's script reads a selection as offsets
in the stored text exactly. Whether a quote still stands at its offsets is the citation's
own rule (Citation.check_against_source); a quote that does not is listed, flagged, and
not highlighted."""

import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from factbase.core import services
from factbase.core.ids import id_from
from factbase.core.kinds import Kind, fact_kinds
from factbase.core.models import Citation, Source
from factbase.core.reasons import reason_text

from .citing import prefill_query, source_anchor
from .forms import ReasonFieldMixin, reason_field

SEARCH_LIMIT = 10  # facts of each kind a search offers


@dataclass
class Cited:
    """A citation of the source as the reader shows it."""

    citation: Citation
    fact: Model | None
    number: int = 0
    mismatch: str | None = None  # why the quote no longer stands at its offsets

    @property
    def anchor(self) -> str:
        return source_anchor(self.citation.pk)

    @property
    def highlighted(self) -> bool:
        return self.mismatch is None and self.citation.char_start is not None

    @property
    def fact_label(self) -> str:
        return fact_label(self.fact) if self.fact is not None else "a deleted record"

    @property
    def fact_url(self) -> str:
        return fact_url(self.fact)


def fact_label(fact: Model) -> str:
    """A fact as the reader names it: its kind, itself, its status."""
    kind = fact._meta.verbose_name
    return f"{kind[:1].upper()}{kind[1:]}: {fact} ({fact.get_status_display()})"


def fact_url(fact: Model | None) -> str:
    if fact is None:
        return ""
    opts = fact._meta
    try:
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[fact.pk])
    except NoReverseMatch:  # a kind without an admin page of its own
        return ""


def fact_value(fact: Model) -> str:
    """How a fact is named in a form: its kind's `fact_type` and its id."""
    return f"{fact._meta.model_name}:{fact.pk}"


def admin_of(admin_site, kind: Kind):
    return admin_site._registry.get(kind.model)


def shown_with(model_admin) -> tuple:
    """The related rows a kind's records need to be named (a metric's subject and type):
    those its admin list reads with them."""
    related = getattr(model_admin, "list_select_related", False)
    return tuple(related) if isinstance(related, (list, tuple)) else ()


def source_citations(admin_site, source: Source) -> list[Cited]:
    """The source's citations with their facts, in the order they stand in the text (then
    those not found there): one query for the citations and one per kind of fact they
    support, however many there are."""
    citations = list(Citation.objects.filter(source=source).select_related("content_type"))
    ids_by_model: dict[type[Model], set[int]] = {}
    for citation in citations:
        citation.source = source  # its text is checked without reading it again
        ids_by_model.setdefault(citation.content_type.model_class(), set()).add(citation.object_id)
    facts = {}
    for model, ids in ids_by_model.items():
        related = shown_with(admin_site._registry.get(model))
        for fact in model._default_manager.select_related(*related).filter(pk__in=ids):
            facts[model, fact.pk] = fact
    cited = [
        Cited(
            citation=c,
            fact=facts.get((c.content_type.model_class(), c.object_id)),
            mismatch=c.check_against_source(),
        )
        for c in citations
    ]
    cited.sort(key=lambda c: (not c.highlighted, c.citation.char_start or 0, c.citation.pk))
    for number, item in enumerate(cited, start=1):
        item.number = number
    return cited


@dataclass
class _Segment:
    start: int
    end: int
    citations: list[Cited] = field(default_factory=list)


def text_html(text: str, cited: list[Cited]) -> SafeString:
    """The text as segments, each cut where a highlighted quote starts or ends: a plain
    segment a span, a quoted one a mark naming its facts; before a quote's first segment
    its anchor, after its last a numbered link to its fact. Every character of the text is
    in exactly one segment, escaped, and nothing else is: `data-start` maps the page's
    text to the stored one."""
    spans = [c for c in cited if c.highlighted]
    cuts = {0, len(text)}
    for c in spans:
        cuts.update((c.citation.char_start, c.citation.char_end))
    # The browser reads "\r\n" as "\n": cut between the two, so that each segment's length
    # on the page is its length in the text.
    cuts.update(m.start() + 1 for m in re.finditer("\r\n", text))
    cuts = sorted(cuts)
    starting: dict[int, list[Cited]] = {}
    ending: dict[int, list[Cited]] = {}
    for c in spans:
        starting.setdefault(c.citation.char_start, []).append(c)
        ending.setdefault(c.citation.char_end, []).append(c)
    parts, active = [], []
    for start, end in zip(cuts, cuts[1:], strict=False):
        for c in starting.get(start, ()):
            active.append(c)
            parts.append(format_html('<span class="anchor" id="{}"></span>', c.anchor))
        segment = text[start:end]
        if active:
            parts.append(
                format_html(
                    '<mark class="quote{}" data-start="{}" data-citations="{}" title="{}">'
                    "{}</mark>",
                    " overlap" if len(active) > 1 else "",
                    start,
                    " ".join(str(c.citation.pk) for c in active),
                    "\n".join(f"{c.number}. {c.fact_label}" for c in active),
                    segment,
                )
            )
        else:
            parts.append(format_html('<span data-start="{}">{}</span>', start, segment))
        for c in ending.get(end, ()):
            active.remove(c)
            parts.append(
                format_html(
                    '<a class="cite-ref" href="{}" title="{}" data-citation="{}">{}</a>',
                    c.fact_url or f"#{c.anchor}",
                    c.fact_label,
                    c.citation.pk,
                    c.number,
                )
            )
    return mark_safe("".join(parts))


def cited_facts(cited: list[Cited]) -> list[tuple[str, str]]:
    """The facts the source supports, once each: (form value, label)."""
    seen = {}
    for c in cited:
        if c.fact is not None:
            seen.setdefault(fact_value(c.fact), c.fact_label)
    return list(seen.items())


def citable_kinds(request, admin_site, permission: str) -> list[Kind]:
    """The kinds of fact the editor may `permission` ("add", "change") in the admin."""
    allowed = []
    for kind in fact_kinds().values():
        model_admin = admin_of(admin_site, kind)
        if model_admin is not None and getattr(model_admin, f"has_{permission}_permission")(
            request
        ):
            allowed.append(kind)
    return sorted(allowed, key=lambda kind: kind.model._meta.verbose_name)


def may_cite(request, admin_site) -> bool:
    """Whether the editor may add a citation to a fact they may change."""
    citations = admin_site._registry.get(Citation)
    may_add = citations is not None and citations.has_add_permission(request)
    return may_add and bool(citable_kinds(request, admin_site, "change"))


def reader_context(request, admin_site, source: Source) -> dict:
    cited = source_citations(admin_site, source)
    new_kinds = citable_kinds(request, admin_site, "add")
    return {
        "reader_text": text_html(source.text, cited) if source.text else "",
        "reader_length": len(source.text),
        "reader_citations": cited,
        "reader_mismatches": sum(1 for c in cited if c.mismatch),
        "reader_facts": cited_facts(cited),
        "reader_new_kinds": [
            (kind.fact_type, kind.model._meta.verbose_name.capitalize()) for kind in new_kinds
        ],
        "reader_can_cite": may_cite(request, admin_site),
        "reader_cite_url": reverse("admin:factbase_source_cite", args=[source.pk]),
        "reader_new_url": reverse("admin:factbase_source_new_fact", args=[source.pk]),
        "reader_search_url": reverse("admin:factbase_source_facts", args=[source.pk]),
    }


def search_facts(request, admin_site, term: str) -> list[dict]:
    """Facts of every kind the editor may change that match `term`, as each kind's admin
    list searches them: at most SEARCH_LIMIT of each kind, one query per kind."""
    term = term.strip()
    if not term:
        return []
    results = []
    for kind in citable_kinds(request, admin_site, "change"):
        model_admin = admin_of(admin_site, kind)
        if not model_admin.get_search_fields(request):
            continue
        queryset = kind.model._default_manager.select_related(*shown_with(model_admin))
        queryset, duplicates = model_admin.get_search_results(request, queryset, term)
        if duplicates:
            queryset = queryset.distinct()
        results.extend(
            {"id": fact_value(fact), "text": fact_label(fact)} for fact in queryset[:SEARCH_LIMIT]
        )
    return results


class CiteForm(forms.Form):
    """Words of the source's text: the quote and where it stands, which must agree."""

    quote = forms.CharField(strip=False)
    char_start = forms.IntegerField(min_value=0)
    char_end = forms.IntegerField(min_value=1)
    translation = forms.CharField(required=False, strip=True)

    def __init__(self, *args, source: Source, **kwargs):
        super().__init__(*args, **kwargs)
        self.source = source

    def clean(self):
        cleaned = super().clean()
        quote, start, end = (cleaned.get(n) for n in ("quote", "char_start", "char_end"))
        if quote is None or start is None or end is None:
            return cleaned
        if not self.source.text:
            raise ValidationError("This source has no stored text to cite from.")
        if end <= start or end > len(self.source.text):
            raise ValidationError(
                f"Offsets {start}–{end} are not a span of the source's text "
                f"({len(self.source.text)} characters)."
            )
        if self.source.text[start:end] != quote:
            raise ValidationError(
                f"The quote is not the text at offsets {start}–{end}: select the words again."
            )
        return cleaned


class AddCitationForm(ReasonFieldMixin, CiteForm):
    """The words cited by a fact the editor may change, named "<fact_type>:<id>"."""

    fact = forms.CharField()
    change_reason = reason_field()

    def __init__(self, *args, request, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        self.request, self.admin_site = request, admin_site
        self.reason_prefix = f"Cited from source {self.source.pk}"

    def clean_fact(self):
        fact_type, _, pk = self.cleaned_data["fact"].partition(":")
        kind = fact_kinds().get(fact_type)
        model_admin = admin_of(self.admin_site, kind) if kind else None
        if model_admin is None or id_from(pk) is None:
            raise ValidationError("Choose a fact.")
        fact = kind.model._default_manager.filter(pk=pk).first()
        if fact is None:
            raise ValidationError(f"No {kind.model._meta.verbose_name} {pk}: it was deleted.")
        if not model_admin.has_change_permission(self.request, fact):
            raise ValidationError(f"You may not change this {kind.model._meta.verbose_name}.")
        return fact

    def clean(self):
        cleaned = super().clean()
        fact, start, end = (cleaned.get(n) for n in ("fact", "char_start", "char_end"))
        if fact is None or self.errors:
            return cleaned
        if fact.citations.filter(source=self.source, char_start=start, char_end=end).exists():
            raise ValidationError(f"{fact_label(fact)} already cites these words.")
        return cleaned

    def history_reason(self) -> str:
        """The editor's reason after the words saying where the citation came from."""
        return reason_text(self.cleaned_data.get("change_reason", ""), prefix=self.reason_prefix)


def add_citation(form: AddCitationForm, user) -> Citation:
    """Write the citation of a valid AddCitationForm: the fact with its citations, one
    more, through the write service, with the reason in both histories. Raises
    services.RecordInvalid (nothing written) when the write service refuses it."""
    data, fact = form.cleaned_data, form.cleaned_data["fact"]
    kept = [{"id": pk} for pk in fact.citations.values_list("pk", flat=True)]
    new = {
        "source": form.source,
        "quote": data["quote"],
        "translation": data["translation"],
        "char_start": data["char_start"],
        "char_end": data["char_end"],
    }
    services.record_write(
        fact,
        fields={},
        children={"citations": [*kept, new]},
        user=user,
        reason=form.history_reason(),
    )
    return fact.citations.get(
        source=form.source, char_start=new["char_start"], char_end=new["char_end"]
    )


class NewFactForm(CiteForm):
    """A new fact of a kind the editor may add, begun with these words."""

    kind = forms.ChoiceField()

    def __init__(self, *args, kinds: list[Kind], **kwargs):
        super().__init__(*args, **kwargs)
        self.kinds = {kind.fact_type: kind for kind in kinds}
        self.fields["kind"].choices = [(name, name) for name in self.kinds]

    def add_url(self) -> str:
        """The kind's add form, its first citation these words."""
        data = self.cleaned_data
        opts = self.kinds[data["kind"]].model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
        query = prefill_query(
            self.source.pk, data["quote"], data["char_start"], data["char_end"], data["translation"]
        )
        return f"{url}?{urlencode(query)}"
