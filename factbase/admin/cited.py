"""Whether a fact has citations: the list filter "has citations" on every fact list, and
the query behind it, which the admin index counts with too."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, QuerySet

from factbase.core.models import Citation

from .filters import KnownValuesFilter


def cited(queryset: QuerySet) -> Exists:
    """True for a record of `queryset`'s model that has a citation. EXISTS rather than a
    join: it stops at the first citation and groups nothing."""
    content_type = ContentType.objects.get_for_model(queryset.model)
    return Exists(Citation.objects.filter(content_type=content_type, object_id=OuterRef("pk")))


def without_citations(queryset: QuerySet) -> QuerySet:
    return queryset.filter(~cited(queryset))


class HasCitationsFilter(KnownValuesFilter):
    title = "has citations"
    parameter_name = "has_citations"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(cited(queryset))
        if self.value() == "no":
            return without_citations(queryset)
        return queryset
