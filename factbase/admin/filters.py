"""List filters that offer only the values in use, by name: the countries the companies
are in, not the 249 there are; the kinds of fact that have citations, not every table.
And what a list answers to a filter it does not have, or a value a filter cannot take:
a page that says so (RefusedListQueryMixin, KnownValuesFilter), never the list unfiltered
or filtered on part of what was asked."""

from collections.abc import Callable

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.contenttypes.models import ContentType
from django.template.response import TemplateResponse

from factbase.core.ids import id_from
from factbase.core.kinds import fact_kinds

EMPTY = "(none)"  # how an empty value (a region the source does not give) is offered


class _RefusedQuery(Exception):
    pass


class RefusedListQueryMixin:
    """For a model admin: a list asked for with a filter it does not have (`?stauts=`) or
    a value its filter cannot take is a 400 page naming it, with a link to the list.
    Django's admin answers with the whole list (`?e=1`), unfiltered, where an editor who
    thinks it filtered would run an action on every record."""

    def get_changelist_instance(self, request):
        try:
            return super().get_changelist_instance(request)
        except IncorrectLookupParameters as error:
            problem = str(error)
            dates = getattr(self, "date_hierarchy", None)
            asked = dates and any(key.startswith(f"{dates}__") for key in request.GET)
            if isinstance(error.__cause__, ValueError) and asked:
                # The date drill-down's year, month and day make no date ("day is out of
                # range for month"): said of the field it filters.
                problem = f"{dates} (its year, month and day): {problem}"
            raise _RefusedQuery(problem) from error

    def changelist_view(self, request, extra_context=None):
        try:
            return super().changelist_view(request, extra_context)
        except _RefusedQuery as refused:
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": f"Not a filter of the {self.opts.verbose_name_plural}",
                "problem": str(refused),
            }
            return TemplateResponse(request, "admin/bad_list_query.html", context, status=400)


class KnownValuesFilter(admin.SimpleListFilter):
    """A list filter whose value is one it offers: another is refused, not taken as no
    filter at all (RefusedListQueryMixin says so)."""

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        value = self.value()
        offered = [str(choice) for choice, _ in self.lookup_choices]
        if value is not None and value not in offered:
            known = ", ".join(f"“{choice}”" for choice in offered) or "none at present"
            raise IncorrectLookupParameters(
                f"{self.parameter_name}: “{value[:40]}” is not a value of this filter "
                f"(its values: {known})."
            )


class InUseFilter(admin.SimpleListFilter):
    """The values of one column the table holds (one DISTINCT query), each shown by its
    name, in the order of the names. Made for a field by `in_use`."""

    field_name: str

    def names(self, model, values) -> dict[str, str]:
        """Each value's name: by default its choice label (a country's name)."""
        choices = dict(model._meta.get_field(self.field_name).flatchoices)
        return {value: str(choices.get(value, value)) for value in values}

    def lookups(self, request, model_admin):
        model = model_admin.model
        values = list(
            model._default_manager.order_by().values_list(self.field_name, flat=True).distinct()
        )
        names = self.names(model, [value for value in values if value])
        named = [(value, names[value] if value else EMPTY) for value in values]
        # The empty value last, the others by name.
        return sorted(named, key=lambda choice: (not choice[0], choice[1].casefold()))

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if "\x00" in value:  # no column holds it, and PostgreSQL refuses it in a query
            return queryset.none()
        return queryset.filter(**{self.field_name: value})


def in_use(field_name: str, *, title: str = "", label: Callable[[str], str] | None = None):
    """A list filter on `field_name` offering only the values in use; `label` names a
    value when the field's choices do not (a source's language)."""
    attrs = {
        "field_name": field_name,
        "parameter_name": field_name,
        "title": title or field_name.replace("__", " ").replace("_", " "),
    }
    if label is not None:
        attrs["names"] = lambda self, model, values: {value: label(value) for value in values}
    name = "".join(part.title() for part in field_name.split("_") if part) + "InUseFilter"
    return type(name, (InUseFilter,), attrs)


class FactKindFilter(admin.SimpleListFilter):
    """A citation's kind of fact, among the kinds that have citations: 'metric', not
    Django's own tables."""

    title = "kind of fact"
    parameter_name = "content_type"

    def lookups(self, request, model_admin):
        used = (
            model_admin.model._default_manager.order_by()
            .values_list("content_type", flat=True)
            .distinct()
        )
        facts = {kind.model for kind in fact_kinds().values()}
        types = [ContentType.objects.get_for_id(pk) for pk in used]
        named = [
            (str(ct.pk), ct.model_class()._meta.verbose_name)
            for ct in types
            if ct.model_class() in facts
        ]
        return sorted(named, key=lambda choice: choice[1])

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if id_from(value) is None:  # not an id
            return queryset.none()
        return queryset.filter(content_type_id=int(value))
