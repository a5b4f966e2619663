"""Reads shared by every app: how a fact's citations are loaded."""

from django.db.models import Prefetch

from .models import Citation, Source


def citations_prefetch() -> Prefetch:
    """A fact's citations with their sources and speakers: two queries for a whole page."""
    return Prefetch(
        "citations",
        queryset=Citation.objects.select_related("source", "attributed_to").order_by("id"),
    )


def source_list():
    return Source.objects.all()


def citation_list():
    return Citation.objects.select_related("source", "attributed_to", "content_type")
