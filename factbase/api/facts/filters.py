"""The review queue's parameters: one FilterSet, validated once, applied to each kind of
fact in turn (every condition reads columns and citations that all facts share).

`kind` and `ordering` are not conditions on rows: they choose which tables the queue
reads and how it sorts them (factbase.api.facts.queue), so their filter methods leave
the rows as they are.
"""

import django_filters as df
from django.utils.choices import CallableChoiceIterator

from factbase.api.filters import (
    BooleanFilter,
    ChoiceInFilter,
    CountFilter,
    DateTimeFilter,
    FactFilterSet,
    FilterSet,
)
from factbase.core.choices import ClaimType, Confidence, Status
from factbase.core.kinds import by_name

# The orderings offered, with what each means (the schema lists them); queue.ORDER says
# how each sorts, ties broken so that pages never repeat or skip a row.
ORDERINGS = {
    "-updated_at": "newest change first (the default)",
    "updated_at": "oldest change first",
    "source_count": "fewest independent sources first, then newest",
    "-source_count": "most independent sources first, then newest",
}
DEFAULT_ORDERING = "-updated_at"


def fact_kind_names() -> list[str]:
    """The kinds of fact, by the registry's names (factbase.core.kinds)."""
    return [name for name, kind in by_name().items() if kind.is_fact]


class FactQueueFilterSet(FilterSet):
    # Every filter has a label: the FilterSet has no model to take one from.
    kind = ChoiceInFilter(
        # Read when first used (the registry is complete once Django has started), and
        # iterable, not callable, so that the schema lists them.
        choices=CallableChoiceIterator(lambda: [(name, name) for name in fact_kind_names()]),
        method="keep_rows",
        label="these kinds of fact, comma-separated",
    )
    status = ChoiceInFilter(choices=Status.choices, label="these statuses")
    confidence = ChoiceInFilter(choices=Confidence.choices, label="these confidences")
    claim_type = ChoiceInFilter(choices=ClaimType.choices, label="these types of claim")
    has_citations = BooleanFilter(
        method="filter_has_citations", label="cited by at least one source, or by none"
    )
    source_count_min = CountFilter(
        method="filter_source_count", label="backed by at least this many independent sources"
    )
    source_count_max = CountFilter(
        method="filter_source_count", label="backed by at most this many independent sources"
    )
    updated_after = DateTimeFilter(
        field_name="updated_at", lookup_expr="gte", label="changed at or after this time"
    )
    updated_before = DateTimeFilter(
        field_name="updated_at", lookup_expr="lt", label="changed before this time"
    )
    ordering = df.ChoiceFilter(
        choices=list(ORDERINGS.items()),
        method="keep_rows",
        empty_label=None,
        label="the order of the rows; ties are broken by kind and id",
    )

    # The same conditions as on each kind's own list (`?has_citations=false`), read from
    # there so that they cannot drift apart.
    filter_has_citations = FactFilterSet.filter_has_citations
    filter_source_count = FactFilterSet.filter_source_count

    def keep_rows(self, queryset, name, value):
        return queryset

    def chosen_kinds(self) -> list[str]:
        """The kinds the queue reads: those asked for, or all of them."""
        wanted = self.form.cleaned_data.get("kind") or ()
        return [name for name in fact_kind_names() if not wanted or name in wanted]

    def chosen_ordering(self) -> str:
        return self.form.cleaned_data.get("ordering") or DEFAULT_ORDERING
