"""Reads of the core's records that more than the API's shape needs (factbase.api.shape
derives the rest from each serializer)."""

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
