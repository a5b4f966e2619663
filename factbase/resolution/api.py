"""The API's duplicate check: creating a company, product or person whose name or an
alias is close to a stored one's answers 409 with the candidates, unless the request says
`?allow_duplicate=true`. Updates are not checked: the record exists already, and a
rename is a correction more often than a new duplicate."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from factbase.api.fields import record_url
from factbase.api.params import boolean_param
from factbase.api.views import REASON

from .duplicates import likely_duplicates_of

ALLOW_DUPLICATE = OpenApiParameter(
    "allow_duplicate",
    OpenApiTypes.BOOL,
    description="Create the record even though its name or an alias is close to a stored "
    "record's. Without it, such a create answers 409 with the likely duplicates "
    "(`candidates`: id, url, name, slug, the name or alias that `matched`, the one `given`, "
    "`score` from 0 to 1, `why`).",
)


class LikelyDuplicates(Exception):
    def __init__(self, candidates):
        super().__init__(candidates)
        self.candidates = candidates


def candidates_answer(model, candidates, context) -> dict:
    kind = model._meta.verbose_name
    count = len(candidates)
    return {
        "detail": (
            f"This {kind} is likely a duplicate of {count} already recorded "
            f"({'the closest first' if count > 1 else 'below'}). If it is a different "
            f"{kind}, send the same request with ?allow_duplicate=true."
        ),
        "candidates": [
            {
                "id": c.record.pk,
                "url": record_url(c.record, context),
                "name": c.record.name,
                "slug": getattr(c.record, "slug", None),
                "matched": c.matched,
                "given": c.given,
                "score": c.score,
                "why": c.why,
            }
            for c in candidates
        ],
    }


class DuplicateCheckMixin:
    """For a RecordViewSet of a kind with names and aliases: its create is refused (409)
    when the record is a likely duplicate (factbase.resolution.duplicates), unless
    `?allow_duplicate=true`. The check runs once the body is valid, before the write."""

    @extend_schema(parameters=[REASON, ALLOW_DUPLICATE])
    def create(self, request, *args, **kwargs):
        self.duplicates_allowed = boolean_param(request, "allow_duplicate")
        try:
            return super().create(request, *args, **kwargs)
        except LikelyDuplicates as found:
            model = self.get_serializer_class().Meta.model
            answer = candidates_answer(model, found.candidates, self.get_serializer_context())
            return Response(answer, status=status.HTTP_409_CONFLICT)

    def write(self, instance, serializer, **kwargs):
        if instance._state.adding and not getattr(self, "duplicates_allowed", False):
            data = serializer.validated_data
            aliases = [row["name"] for row in data.get("aliases", ()) if row.get("name")]
            candidates = likely_duplicates_of(type(instance), data, aliases)
            if candidates:
                raise LikelyDuplicates(candidates)
        return super().write(instance, serializer, **kwargs)
