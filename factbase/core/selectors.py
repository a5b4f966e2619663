"""Reads shared by every app: how a fact's citations are loaded."""

from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.db.models import Prefetch

from .models import Citation, Source


def citations_prefetch() -> Prefetch:
    """A fact's citations with their sources and speakers: two queries for a whole page,
    reading only what a citation shows (a source's full text can be megabytes)."""
    columns = ("content_type", "object_id", "quote", "translation", "char_start", "char_end")
    source = ("title", "publisher", "url", "published_on", "published_precision", "language")
    return Prefetch(
        "citations",
        queryset=Citation.objects.select_related("source", "attributed_to")
        .only(
            *columns,
            "locator",
            "field_name",
            *(f"source__{name}" for name in source),
            "attributed_to__name",
            "attributed_to__slug",
        )
        .order_by("id"),
    )


def with_briefs(queryset, **related: tuple[str, ...]):
    """Join the records a page shows in brief form, reading only the brief's columns.

    Building hundreds of full related objects per page costs more than the query itself;
    `company=("name", "slug")` loads a company with just what its brief form shows. The
    users who created and last changed each record come along by username."""
    related = {"created_by": ("username",), "updated_by": ("username",), **related}
    fields = [field.name for field in queryset.model._meta.concrete_fields]
    for relation, names in related.items():
        fields += [f"{relation}__{name}" for name in names]
    return queryset.select_related(*related).only(*fields)


def source_list():
    return Source.objects.all()


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
    return (
        Citation.objects.select_related("source", "attributed_to", "content_type")
        .defer("source__text")
        .prefetch_related(facts)
    )
