"""The status actions of the fact lists (mark verified, disputed, retracted, unverified).
Each first shows what it will change and asks why, as a delete does; the reason is kept in
the history of every record it marks (services.facts_set_status)."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse

from factbase.core import services
from factbase.core.choices import Status
from factbase.core.ids import id_from
from factbase.core.reasons import reason_text

from .forms import ReasonForm

SHOWN = 20  # records named on the confirmation page; the others are counted


class SelectedIdsMixin:
    """For a list whose records have numbers for ids: a list action's records are named
    by id, and a value that is none (`abc`, thirty digits) is refused, with nothing done,
    rather than sent to the database, which refuses it (a server error)."""

    def response_action(self, request, queryset):
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        wrong = [value for value in selected if id_from(value) is None]
        if wrong:
            named = ", ".join(f"“{value[:20]}”" for value in wrong[:5])
            self.message_user(
                request, f"Nothing done: not the id of a record: {named}.", messages.ERROR
            )
            return HttpResponseRedirect(request.get_full_path())
        return super().response_action(request, queryset)


class StatusReasonForm(ReasonForm):
    """The reason for a status change: required, since a status is a judgement and the
    history should say on what it rests."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["change_reason"]
        field.required = True
        field.help_text = "Kept in the history of each record marked."
        field.error_messages["required"] = "Say why: the reason is kept in each record's history."


def status_action(status: Status):
    """The list action that marks the selected facts `status`, after confirmation."""

    @admin.action(description=f"Mark selected as {status.label.lower()}", permissions=["change"])
    def action(modeladmin, request, queryset):
        return set_status(modeladmin, request, queryset, status)

    action.__name__ = f"mark_{status.value}"
    return action


def set_status(modeladmin, request, queryset, status: Status):
    """The confirmation page, or, once confirmed with a reason, the change."""
    prefix = f"Marked {status.value}"
    confirmed = request.POST.get("post") == "yes"
    form = StatusReasonForm(request.POST if confirmed else None, reason_prefix=prefix)
    if form.is_valid():
        reason = reason_text(form.cleaned_data["change_reason"], prefix=prefix)
        selected = queryset.count()
        try:
            count = services.facts_set_status(
                queryset, status=status, user=request.user, reason=reason
            )
        except ValidationError as error:
            modeladmin.message_user(request, " ".join(error.messages), messages.ERROR)
            return None
        opts = modeladmin.model._meta
        name = opts.verbose_name if count == 1 else opts.verbose_name_plural
        said = f"{count} {name} marked {status.value}."
        if selected > count:  # left alone: no version, no history record
            said += f" {selected - count} already {'was' if selected - count == 1 else 'were'}."
        modeladmin.message_user(request, said, messages.SUCCESS)
        return None  # back to the list, with its filters
    count = queryset.count()
    opts = modeladmin.model._meta
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": opts,
        "title": f"Mark as {status.label.lower()}",
        "status": status,
        "action": f"mark_{status.value}",
        "form": form,
        "records": queryset[:SHOWN],
        "count": count,
        "more": max(count - SHOWN, 0),
        "objects_name": opts.verbose_name if count == 1 else opts.verbose_name_plural,
        # What the list posted, posted again with the reason: the same records.
        "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "media": modeladmin.media,
    }
    return TemplateResponse(request, "admin/status_confirmation.html", context)


STATUS_ACTIONS = [
    status_action(Status.VERIFIED),
    status_action(Status.DISPUTED),
    status_action(Status.RETRACTED),
    status_action(Status.UNVERIFIED),
]
