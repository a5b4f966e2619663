"""Reads shared by every app: how a fact's citations are loaded."""

from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.db.models import Prefetch

from .models import Citation, Source


def citations_prefetch() -> Prefetch:
    """A fact's citations with their sources and speakers: two queries for a whole page."""
    return Prefetch(
        "citations",
        # A source's full text can be megabytes; a citation shows only its brief form.
        queryset=Citation.objects.select_related("source", "attributed_to")
        .defer("source__text")
        .order_by("id"),
    )


def source_list():
    return Source.objects.all()


def citation_list():
    """Citations with the facts they support: one query per kind of fact, not one a row.
    A role is shown with its person's page, so its person comes along."""
    from companies.models import Role  # the apps build on this module, not the reverse

    facts = GenericPrefetch("fact", [Role.objects.select_related("person")])
    return (
        Citation.objects.select_related("source", "attributed_to", "content_type")
        .defer("source__text")
        .prefetch_related(facts)
    )
