"""How many independent sources back a fact.

Sources are independent when their publishers differ: two articles of the same publisher
(spelled the same) count once, since a publisher repeating itself confirms nothing. A fact
cited by two or more independent sources is corroborated.

The count is read four ways, all giving the same number: from citations already
prefetched with their sources (API pages: no query at all), as an SQL subquery (one fact
at a time), as one grouped pass over a kind's citations joined to the rows (the CSV
export on PostgreSQL), and as a set of fact ids (the `corroborated` and
`source_count_min` filters).
"""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from .models import Citation

CORROBORATED = 2  # independent sources that make a fact corroborated


def _citations_of(model) -> QuerySet:
    # order_by(): Citation's default ordering would otherwise join the GROUP BY.
    return Citation.objects.filter(content_type=ContentType.objects.get_for_model(model)).order_by()


def fact_source_count(fact) -> int:
    """Independent sources among the fact's citations. Reads the prefetched citations
    (citations_prefetch loads their sources) when there are any, else asks the database."""
    cached = getattr(fact, "_independent_sources", None)
    if cached is not None:
        return cached
    prefetched = getattr(fact, "_prefetched_objects_cache", {})
    if "citations" in prefetched:
        count = len({citation.source.publisher for citation in prefetched["citations"]})
    else:
        count = (
            _citations_of(type(fact))
            .filter(object_id=fact.pk)
            .values("source__publisher")
            .distinct()
            .count()
        )
    fact._independent_sources = count
    return count


def source_counts(model) -> QuerySet:
    """(`object_id`, `sources`): the independent sources of each cited fact of `model`,
    counted in one grouped pass over that kind's citations. A fact without citations has
    no row: it has 0 sources."""
    return (
        _citations_of(model)
        .values("object_id")
        .annotate(sources=Count("source__publisher", distinct=True))
    )


def source_count_expression(model):
    """The number of independent sources of each row of `model`, as an SQL expression."""
    counts = (
        _citations_of(model)
        .filter(object_id=OuterRef("pk"))
        .values("object_id")
        .annotate(sources=Count("source__publisher", distinct=True))
        .values("sources")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


# The same numbers for many rows at once: the CSV export joins them rather than running
# the subquery once per row (factbase.api.csv_export).
source_count_expression.grouped_count = source_counts


def fact_backed_by(model, minimum: int) -> QuerySet:
    """The citations of the fact of `model` that the outer query's row is, when they come
    from at least `minimum` independent sources: for EXISTS / NOT EXISTS, looked up fact by
    fact in the citations' index."""
    return (
        _citations_of(model)
        .filter(object_id=OuterRef("pk"))
        .values("object_id")
        .annotate(sources=Count("source__publisher", distinct=True))
        .filter(sources__gte=minimum)
    )


def facts_with_sources(model, minimum: int) -> QuerySet:
    """The ids of the facts of `model` backed by at least `minimum` (1 or more)
    independent sources: one grouped pass over that kind's citations, used as an IN
    subquery, so the database reads the citations once rather than once per fact."""
    return source_counts(model).filter(sources__gte=minimum).values("object_id")
