"""Webhooks in the admin: subscriptions (created, changed, replayed from a cursor, retried,
deleted, all through factbase.webhooks.services) and their delivery log, read only.

The pages need the webhooks app's permissions (a superuser has them; the editor and viewer
groups do not: a subscription sends every change to a URL of its maker's choosing).
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from factbase.admin.actions import SelectedIdsMixin
from factbase.core.feed import last_number

from . import services, signing
from .models import DeliveryAttempt, Subscription
from .targets import kind_choices


class SubscriptionForm(forms.ModelForm):
    kinds = forms.MultipleChoiceField(
        choices=kind_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The kinds of record whose changes are sent. None ticked: every kind.",
    )
    new_secret = forms.CharField(
        label="Secret",
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "size": 60}),
        help_text=f"{signing.SECRET_MIN} to {signing.SECRET_MAX} characters. Empty: one is "
        "made on creation (and shown once), or the current one is kept.",
    )

    class Meta:
        model = Subscription
        fields = ("target_url", "kinds", "active")
        widgets = {"target_url": forms.URLInput(attrs={"size": 80})}

    def clean_new_secret(self):
        secret = self.cleaned_data["new_secret"]
        if secret:
            signing.validate_secret(secret)
        return secret


class ReplayForm(forms.Form):
    after = forms.IntegerField(
        label="After cursor",
        min_value=0,
        help_text="Every change after this cursor (a change's `cursor` in the change log; 0 "
        "for all) is delivered again, in order.",
    )


@admin.register(Subscription)
class SubscriptionAdmin(SelectedIdsMixin, admin.ModelAdmin):
    form = SubscriptionForm
    list_display = (
        "id",
        "target_url",
        "kinds_display",
        "active",
        "state_display",
        "cursor",
        "failures",
        "next_attempt_at",
        "last_delivered_at",
        "log_link",
    )
    list_display_links = ("id", "target_url")
    list_filter = ("active", "state")
    search_fields = ("target_url",)
    list_select_related = ("created_by",)
    readonly_fields = (
        "secret_hint",
        "state_display",
        "cursor",
        "behind",
        "failures",
        "next_attempt_at",
        "last_error",
        "last_delivered_at",
        "log_link",
        "created_at",
        "created_by",
        "updated_at",
        "updated_by",
    )
    actions = ("replay", "retry_now")

    def get_fieldsets(self, request, obj=None):
        editable = ("target_url", "kinds", "active", "new_secret")
        if obj is None:
            return [(None, {"fields": editable})]
        return [
            (None, {"fields": (*editable, "secret_hint")}),
            (
                "Delivery",
                {
                    "fields": (
                        "state_display",
                        "cursor",
                        "behind",
                        "failures",
                        "next_attempt_at",
                        "last_error",
                        "last_delivered_at",
                        "log_link",
                    )
                },
            ),
            (None, {"fields": ("created_at", "created_by", "updated_at", "updated_by")}),
        ]

    @admin.display(description="kinds")
    def kinds_display(self, obj):
        return ", ".join(obj.kinds) or "every kind"

    @admin.display(description="state", ordering="state")
    def state_display(self, obj):
        if obj.state == "failing":
            return format_html('<strong style="color: var(--error-fg)">failing</strong>')
        return obj.get_state_display()

    @admin.display(description="secret")
    def secret_hint(self, obj):
        return obj.secret_hint

    @admin.display(description="changes after its cursor")
    def behind(self, obj):
        # Of every kind: an upper bound when the subscription names some.
        return max(last_number(DEFAULT_DB_ALIAS) - obj.cursor, 0)

    @admin.display(description="delivery log")
    def log_link(self, obj):
        url = reverse("admin:webhooks_deliveryattempt_changelist")
        return format_html('<a href="{}?subscription__id__exact={}">attempts</a>', url, obj.pk)

    # Writes through the services, which also enter them in the admin's log.

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in ("target_url", "kinds", "active")}
        secret = form.cleaned_data.get("new_secret") or None
        if change:
            saved = services.subscription_update(obj, user=request.user, secret=secret, **data)
        else:
            saved, secret = services.subscription_create(user=request.user, secret=secret, **data)
            request.webhook_secret = secret
        obj.pk = saved.pk
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        services.subscription_delete(obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for subscription in queryset:
            services.subscription_delete(subscription, user=request.user)

    def log_addition(self, request, obj, message):
        pass  # logged by the service

    def log_change(self, request, obj, message):
        pass

    def log_deletion(self, request, obj, object_repr):
        pass

    def log_deletions(self, request, queryset):
        pass

    def response_add(self, request, obj, post_url_continue=None):
        """The secret, in full, once: nothing shows it again."""
        secret = getattr(request, "webhook_secret", None)
        if secret is None:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "The subscription's secret",
            "subscription": obj,
            "secret": secret,
        }
        return TemplateResponse(request, "admin/webhooks/secret.html", context)

    # Actions.

    @admin.action(description="Replay selected from a cursor…", permissions=["change"])
    def replay(self, request, queryset):
        confirmed = request.POST.get("post") == "yes"
        form = ReplayForm(request.POST if confirmed else None)
        if form.is_valid():
            after = form.cleaned_data["after"]
            try:
                for subscription in queryset:
                    services.subscription_replay(subscription, user=request.user, after=after)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
                return None
            self.message_user(
                request,
                f"{queryset.count()} subscription(s) will be sent every change after {after} "
                "again.",
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Replay from a cursor",
            "form": form,
            "subscriptions": queryset,
            "last": last_number(DEFAULT_DB_ALIAS),
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/webhooks/replay.html", context)

    @admin.action(description="Retry selected now", permissions=["change"])
    def retry_now(self, request, queryset):
        for subscription in queryset:
            services.subscription_retry(subscription, user=request.user)
        self.message_user(
            request, f"{queryset.count()} subscription(s) will be tried at once.", messages.SUCCESS
        )


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(admin.ModelAdmin):
    """The delivery log: every attempt, written by the worker, never edited."""

    list_display = (
        "at",
        "subscription",
        "cursor",
        "kind",
        "record_id",
        "action",
        "attempt",
        "outcome",
        "status_code",
        "error",
        "duration_ms",
    )
    list_filter = ("outcome", "subscription", "kind")
    list_select_related = ("subscription",)
    search_fields = ("=delivery", "=cursor")
    search_help_text = "A delivery id or a change's cursor"
    date_hierarchy = "at"
    list_per_page = 100
    actions = None

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.opts.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the log is pruned by age (WEBHOOKS_LOG_DAYS)
