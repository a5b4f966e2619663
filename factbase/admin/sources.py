"""The admin of sources and citations. A source's page is also its reader
(factbase.admin.reader): its text with the cited quotes, and citing from it."""

from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from factbase.core import services
from factbase.core.ids import id_from
from factbase.core.kinds import fact_kinds
from factbase.core.models import Citation, Source
from factbase.core.services import RecordInvalid

from . import reader
from .base import TrackedAdmin, partial_date
from .citing import see_in_source, source_url
from .facts import CITATION_FIELDS, with_citation_count
from .filters import FactKindFilter, in_use
from .forms import TrackedAdminForm, error_text
from .languages import language_label
from .related import fact_prefetch, record_link
from .widgets import LanguageSelect


@admin.register(Source)
class SourceAdmin(TrackedAdmin):
    list_display = ("title", "publisher", "published", "language_name", "kind", "citation_count")
    list_filter = ("kind", in_use("language", label=language_label), "publisher")
    search_fields = ("title", "publisher", "author", "url")
    date_hierarchy = "published_on"
    fieldsets = [
        (None, {"fields": ("title", "publisher", "author", "url", "kind", "language")}),
        ("Dates", {"fields": (("published_on", "published_precision"), "retrieved_at")}),
        ("Text", {"fields": ("text", "text_sha256"), "classes": ["collapse"]}),
    ]
    readonly_fields = ("text_sha256",)
    published = partial_date("published_on", "published_precision", "published")

    class Media:
        css = {"all": ["factbase/admin/reader.css"]}
        js = ["factbase/admin/reader.js"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "language":
            kwargs["widget"] = LanguageSelect
            kwargs["help_text"] = "Pick it by name, or type its BCP 47 tag (it, pt-BR, ...)."
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_queryset(self, request):
        return with_citation_count(super().get_queryset(request))

    @admin.display(description="language", ordering="language")
    def language_name(self, obj):
        return language_label(obj.language)

    @admin.display(description="citations", ordering="citation_count")
    def citation_count(self, obj):
        return obj.citation_count

    # --- the reader -------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/cite/", view(self.cite_view), name="factbase_source_cite"),
            path(
                "<path:object_id>/new-fact/",
                view(self.new_fact_view),
                name="factbase_source_new_fact",
            ),
            path("<path:object_id>/facts/", view(self.facts_view), name="factbase_source_facts"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        source = self.get_object(request, object_id)
        if source is not None and request.method == "GET":
            reading = reader.reader_context(request, self.admin_site, source)
            extra_context = {**(extra_context or {}), **reading}
        return super().change_view(request, object_id, form_url, extra_context)

    def reader_source(self, request, object_id) -> Source:
        if id_from(object_id) is None:
            raise Http404
        source = get_object_or_404(Source, pk=object_id)
        if not self.has_view_permission(request, source):
            raise PermissionDenied
        return source

    def cite_view(self, request, object_id):
        """Add the words posted as a citation to an existing fact; refused (400, nothing
        written) unless the quote is the text at its offsets."""
        if request.method != "POST":
            return HttpResponseRedirect(source_url_of(object_id))
        source = self.reader_source(request, object_id)
        if not reader.may_cite(request, self.admin_site):
            raise PermissionDenied
        form = reader.AddCitationForm(
            request.POST, source=source, request=request, admin_site=self.admin_site
        )
        if form.is_valid():
            try:
                citation = reader.add_citation(form, request.user)
            except RecordInvalid as error:
                return self.cite_refused(request, source, error_text(error))
            fact = form.cleaned_data["fact"]
            self.message_user(request, f"Cited by {reader.fact_label(fact)}.", messages.SUCCESS)
            return HttpResponseRedirect(source_url(source.pk, citation.pk))
        return self.cite_refused(request, source, error_text(form))

    def new_fact_view(self, request, object_id):
        """Start a new fact of the chosen kind with the selected words as its citation:
        its add form, the first citation filled in."""
        source = self.reader_source(request, object_id)
        kinds = reader.citable_kinds(request, self.admin_site, "add")
        form = reader.NewFactForm(request.GET, source=source, kinds=kinds)
        if form.is_valid():
            return HttpResponseRedirect(form.add_url())
        return self.cite_refused(request, source, error_text(form))

    def facts_view(self, request, object_id):
        """The facts matching `q`, of every kind the editor may cite from, as JSON."""
        self.reader_source(request, object_id)
        results = reader.search_facts(request, self.admin_site, request.GET.get("q", ""))
        return JsonResponse({"results": results})

    def cite_refused(self, request, source, errors: str):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": source,
            "title": "Not cited",
            "errors": errors,
            "back_url": source_url_of(source.pk),
        }
        return TemplateResponse(
            request, "admin/factbase/source/cite_refused.html", context, status=400
        )


class CitationAdminForm(TrackedAdminForm):
    def _post_clean(self):
        super()._post_clean()  # the instance now holds the values entered
        refused = services.citation_leaves_verified_fact(self.instance)
        if refused is not None:
            self._update_errors(refused)


@admin.register(Citation)
class CitationAdmin(TrackedAdmin):
    form = CitationAdminForm
    list_display = (
        "short_quote",
        "fact_link",
        "source",
        "attributed_to",
        "updated_at",
        "see_in_source",
    )
    list_filter = (
        FactKindFilter,
        in_use("source__language", label=language_label, title="source language"),
        "source",
    )
    search_fields = ("quote", "translation", "source__title", "source__publisher")
    autocomplete_fields = ("source", "attributed_to")
    list_select_related = ("source", "content_type", "attributed_to")
    fields = ("content_type", "object_id", *CITATION_FIELDS, "see_in_source")
    readonly_fields = ("char_start", "char_end", "see_in_source")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "content_type":
            # A citation supports a fact: the kinds of fact, not every table Django has.
            models = [kind.model for kind in fact_kinds().values()]
            types = ContentType.objects.get_for_models(*models, for_concrete_models=False)
            kwargs["queryset"] = ContentType.objects.filter(pk__in=[t.pk for t in types.values()])
            field = super().formfield_for_foreignkey(db_field, request, **kwargs)
            field.label_from_instance = lambda ct: ct.model_class()._meta.verbose_name
            return field
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="quote")
    def short_quote(self, obj):
        return obj.quote if len(obj.quote) <= 80 else obj.quote[:77] + "..."

    @admin.display(description="fact")
    def fact_link(self, obj):
        return record_link(obj.fact, missing=f"{obj.content_type.name} #{obj.object_id}")

    def get_queryset(self, request):
        # Each row's fact, named and linked: one query per kind of fact, not per row.
        return super().get_queryset(request).prefetch_related(fact_prefetch())

    @admin.display(description="in the source")
    def see_in_source(self, obj):
        return see_in_source(obj)


def source_url_of(source_id) -> str:
    return reverse("admin:factbase_source_change", args=[source_id])
