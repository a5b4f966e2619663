"""Likely duplicates in the admin (factbase.resolution.duplicates).

- Adding a company, product or person whose name or an alias is close to a stored
  record's shows the form again with the candidates (links to them) and a box to tick,
  "This is a different <kind>: save anyway"; saved only once it is ticked.
- "Likely duplicates" (a link on the list's page): the pairs of stored records that look
  like one thing entered twice, the most alike first, with links to both.

DuplicateCheckMixin goes first among a ModelAdmin's bases.
"""

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.urls import path, reverse

from factbase.core.kinds import alias_relation
from factbase.resolution.duplicates import duplicate_pairs, likely_duplicates_of

PAIRS_SHOWN = 100  # pairs on the "Likely duplicates" page
ALIASES_READ = 1000  # alias rows read from an add form at most (Django's formset maximum)


def posted_aliases(data, prefix: str) -> list[str]:
    """The aliases typed in the form's alias rows, read from the posted data: Django
    validates the form before its inline rows, and the check must see both before
    anything is written. Rows marked for deletion are left out."""
    try:
        total = int(data.get(f"{prefix}-TOTAL_FORMS", 0))
    except (TypeError, ValueError):
        return []
    found = []
    for index in range(min(max(total, 0), ALIASES_READ)):
        if data.get(f"{prefix}-{index}-DELETE"):
            continue
        name = (data.get(f"{prefix}-{index}-name") or "").strip()
        if name:
            found.append(name)
    return found


class DuplicateCheckForm(forms.ModelForm):
    """An add form that refuses a likely duplicate until `allow_duplicate` is ticked. The
    candidates found are kept in `likely_duplicates` for the page to list."""

    alias_prefix = "aliases"
    likely_duplicates = ()

    def clean(self):
        cleaned = super().clean()
        if self.errors or not cleaned.get("name"):
            return cleaned  # the editor corrects the fields first
        model = self._meta.model
        aliases = posted_aliases(self.data, self.alias_prefix)
        self.likely_duplicates = likely_duplicates_of(model, cleaned, aliases)
        if self.likely_duplicates and not cleaned.get("allow_duplicate"):
            kind = model._meta.verbose_name
            raise ValidationError(
                f"This {kind} is likely a duplicate of a {kind} already recorded (listed "
                f"above). If it is a different {kind}, tick “{self.confirm_label}” and save "
                "again.",
                code="likely_duplicate",
            )
        return cleaned


class DuplicateCheckMixin:
    """For the ModelAdmin of a kind with names (and aliases): the duplicate check on its
    add form, and its "Likely duplicates" page."""

    change_form_template = "admin/duplicates/change_form.html"
    change_list_template = "admin/duplicates/change_list.html"

    def confirm_label(self) -> str:
        return f"This is a different {self.opts.verbose_name}: save anyway"

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if obj is not None or self.is_history_page(request):
            return form  # updates are not checked: see factbase.resolution.api
        relation = alias_relation(self.model)
        attrs = {
            "allow_duplicate": forms.BooleanField(label=self.confirm_label(), required=False),
            "confirm_label": self.confirm_label(),
            "alias_prefix": relation.get_accessor_name() if relation else "aliases",
        }
        return type(form.__name__, (DuplicateCheckForm, form), attrs)

    def render_change_form(self, request, context, add=False, change=False, **kwargs):
        form = context["adminform"].form
        found = getattr(form, "likely_duplicates", ())
        info = f"admin:{self.opts.app_label}_{self.opts.model_name}"
        context.update(
            {
                # The page this one adds to (a mixin's or Django's own change form).
                "duplicate_check_base": super().change_form_template or "admin/change_form.html",
                "likely_duplicates": [
                    (
                        candidate,
                        reverse(f"{info}_change", args=[candidate.record.pk]),
                        candidate.given != form.cleaned_data.get("name"),  # by an alias
                    )
                    for candidate in found
                ],
                "allow_duplicate_field": form["allow_duplicate"] if found else None,
            }
        )
        return super().render_change_form(request, context, add, change, **kwargs)

    # --- the "Likely duplicates" page -----------------------------------------------------

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_duplicates"
        view = self.admin_site.admin_view(self.duplicates_view)
        return [path("duplicates/", view, name=name), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "duplicate_check_list_base": (super().change_list_template or "admin/change_list.html"),
            "duplicates_url": reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_duplicates"
            ),
        }
        return super().changelist_view(request, extra_context)

    def duplicates_view(self, request):
        """The pairs of records of this kind likely the same, the most alike first
        (factbase.resolution.duplicates.duplicate_pairs), each with links to both."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        info = f"admin:{self.opts.app_label}_{self.opts.model_name}"
        rows = []
        for pair in duplicate_pairs(self.model, limit=PAIRS_SHOWN):
            links = [reverse(f"{info}_change", args=[r.pk]) for r in (pair.first, pair.second)]
            rows.append((pair, *links))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Likely duplicate {self.opts.verbose_name_plural}",
            "pairs": rows,
            "shown": PAIRS_SHOWN,
            "can_change": self.has_change_permission(request),
        }
        return TemplateResponse(request, "admin/duplicates/pairs.html", context)
