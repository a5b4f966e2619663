"""Reads of the core's records that more than the API's shape needs (factbase.api.shape
derives the rest from each serializer)."""

from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.prefetch import GenericPrefetch

from .models import Citation


def citation_list():
    """Citations with the facts they support: one query per kind of fact, not one a row.
    A fact shown inside its parent's page (a role on its person's) brings its parent."""
    from .kinds import fact_kinds

    parented = [
        kind.model.objects.select_related(kind.parent)
        for kind in fact_kinds().values()
        if kind.parent
    ]
    facts = GenericPrefetch("fact", parented)
    return Citation.objects.select_related("content_type").prefetch_related(facts)


@cache
def name_relations(model) -> tuple[str, ...]:
    """The records a record's name may be made of (a metric's type and company, a role's
    person and company), to read with it in the same query: its foreign keys, but for
    users and content types, which no name shows."""
    skipped = (get_user_model(), ContentType)
    return tuple(
        f.name
        for f in model._meta.concrete_fields
        if f.many_to_one and f.related_model not in skipped
    )
