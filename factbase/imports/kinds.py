"""The kinds of fact an import writes, and the serializer each is written through: the one
its API endpoint's POST and PUT use, found from the endpoint itself, so that a row is
validated exactly as the same record sent to the API would be."""

from functools import cache

from django.urls import resolve

from factbase.api.fields import API_ROOT
from factbase.core.kinds import Kind, kinds


def importable_kinds() -> dict[str, Kind]:
    """The fact kinds with an endpoint of their own, by name (`metrics`)."""
    return {kind.name: kind for kind in kinds() if kind.is_fact and kind.endpoint}


def importable(model) -> bool:
    return any(kind.model is model for kind in importable_kinds().values())


def kind_named(name: str) -> Kind:
    found = importable_kinds().get(name)
    if found is None:
        raise ValueError(
            f"Not a kind of fact that imports: {name!r}. One of: "
            f"{', '.join(sorted(importable_kinds()))}."
        )
    return found


@cache
def serializer_of(kind: Kind) -> type:
    """The serializer of the kind's endpoint (`/api/v1/<name>/`)."""
    return resolve(f"{API_ROOT}{kind.name}/").func.cls.serializer_class
