"""A query parameter an endpoint does not know is a 400 naming it, never silently ignored:
a typo in a filter's name (`compnay=mistral-ai`) would otherwise answer every row, as
though the filter had matched.

What an endpoint knows is what its OpenAPI operation lists, read from the same
declarations the schema is generated from: the parameters given to `extend_schema` for
the action, and, for a list, its filter backends' and paginator's parameters (DRF's
`get_schema_operation_parameters`). The schema and the check cannot disagree; a test
(tests/api/test_strict_params.py) holds it for every operation of the schema.

A parameter given empty is refused too (`form_query_params` says which may be: a list's
filters, as an HTML form sends them).

A flag (`?dry_run=`, `?allow_duplicate=`, `?create_missing=`) reads one way wherever it is
given: `boolean_param`.
"""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
from rest_framework.settings import api_settings

# Every endpoint answers `?format=json` or `?format=csv` (DRF's format override).
ALWAYS = frozenset({api_settings.URL_FORMAT_OVERRIDE})

_known: dict[tuple, frozenset] = {}

# The words and the message of the API's boolean filters too (filters.StrictBooleanField).
TRUE_WORDS, FALSE_WORDS = frozenset({"true", "1", "yes"}), frozenset({"false", "0", "no"})
NOT_BOOLEAN = "Enter true or false."


class StrictQueryParams:
    """For API views: refuse a query parameter the endpoint's schema does not list, and
    one given twice that takes one value (`?as_of=garbage&as_of=2025-02-15` would answer
    for the last, the first never checked). A parameter that takes several values takes
    them comma-separated or repeated (`repeatable_query_params`)."""

    # Parameters of several values that a view reads itself (its filters' are found).
    repeatable_params: frozenset[str] = frozenset()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        method = request.method.lower()
        if method not in self.http_method_names or not hasattr(self, method):
            return  # a method the endpoint has not: 405, whatever the query says
        params = request.query_params
        known = known_query_params(self, request.method)
        unknown = sorted(set(params) - known)
        if unknown:
            accepted = ", ".join(sorted(known))
            raise ValidationError(
                {name: [f"Unknown parameter. Accepted here: {accepted}."] for name in unknown}
            )
        empty = sorted(
            name
            for name in params
            if not any(params.getlist(name)) and name not in form_query_params(self, request.method)
        )
        if empty:
            raise ValidationError(
                {name: ["Empty: give a value, or leave the parameter out."] for name in empty}
            )
        several = repeatable_query_params(self, request.method)
        repeated = sorted(
            name for name in params if name not in several and len(params.getlist(name)) > 1
        )
        if repeated:
            raise ValidationError(
                {name: ["Given more than once: it takes one value."] for name in repeated}
            )


def known_query_params(view, method: str) -> frozenset:
    """The query parameters the operation of `view` for `method` declares, built once per
    view class, action and method."""
    key = (type(view), getattr(view, "action", None), method)
    found = _known.get(key)
    if found is None:
        found = _known[key] = frozenset(ALWAYS | _declared(view, method))
    return found


def repeatable_query_params(view, method: str) -> frozenset:
    """The parameters of `view` that take several values, so may be repeated: its own
    (`repeatable_params`) and, for a list, its filters of several values (InFilter and
    the like, whose widget reads the parameter repeated)."""
    key = ("repeatable", type(view), getattr(view, "action", None), method)
    found = _known.get(key)
    if found is None:
        names = set(getattr(view, "repeatable_params", ()))
        if getattr(view, "action", None) == "list":
            names |= {
                name
                for name, filter_ in filterset_filters(view).items()
                if getattr(filter_.extra.get("widget"), "repeatable", False)
            }
        found = _known[key] = frozenset(names)
    return found


def form_query_params(view, method: str) -> frozenset:
    """The parameters of `view` that may be given empty, meaning not given: a list's
    filters, which an HTML form (the browsable API's) sends empty when left blank. Any
    other parameter given empty (`?as_of=`, `?limit=`, `?format=`) is a 400: read as
    absent, it would answer something else than was asked, without a word."""
    key = ("form", type(view), getattr(view, "action", None), method)
    found = _known.get(key)
    if found is None:
        names = filterset_filters(view) if getattr(view, "action", None) == "list" else ()
        found = _known[key] = frozenset(names)
    return found


def _declared(view, method: str) -> set[str]:
    # extend_schema on an APIView's handler keeps its schema class on the handler; on a
    # viewset's action, the view is given it.
    handler = getattr(view, method.lower(), None)
    schema = getattr(handler, "kwargs", {}).get("schema") or view.schema
    if isinstance(schema, type):
        schema = schema()
    schema.view = view
    schema.method = method  # extend_schema's parameters may apply to some methods only
    names = {
        parameter.name
        for parameter in schema.get_override_parameters()
        if isinstance(parameter, OpenApiParameter) and parameter.location == OpenApiParameter.QUERY
    }
    if getattr(view, "action", None) == "list":
        # django-filter leaves its schema to drf-spectacular, which lists each filter.
        names |= set(filterset_filters(view))
        for backend_class in getattr(view, "filter_backends", ()):
            if not issubclass(backend_class, DjangoFilterBackend):
                names |= _names(backend_class().get_schema_operation_parameters(view))
        paginator = getattr(view, "paginator", None)
        if paginator is not None:
            names |= _names(paginator.get_schema_operation_parameters(view))
    return names


def filterset_filters(view) -> dict:
    """The filters, by name, of the FilterSet that `view`'s django-filter backend uses."""
    found = {}
    for backend_class in getattr(view, "filter_backends", ()):
        if issubclass(backend_class, DjangoFilterBackend):
            filterset = backend_class().get_filterset_class(view, view.get_queryset())
            found |= filterset.base_filters if filterset else {}
    return found


def _names(parameters) -> set[str]:
    return {p["name"] for p in parameters if p.get("in") == "query"}


def boolean_param(request, name: str, default: bool = False) -> bool:
    """The flag `?name=`: true or false (also 1/0, yes/no, in any case), `default` when not
    given; anything else is a 400 naming it.

    An empty value is refused too, not read as false: a bare `?dry_run` (which arrives as
    "") means "yes" to some clients, and reading it as "no" would write a file that was
    meant to be checked. Refusing asks the client to say which.
    """
    value = request.query_params.get(name)
    if value is None:
        return default
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValidationError({name: [NOT_BOOLEAN]})
